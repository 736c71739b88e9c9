/**
 * What berth learned about one container's image (it has /bin/sh, where its tail is, it has no find), so
 * each is looked up once per container rather than once per call. Process memory only: a fact about an image
 * holds while its container lives, and a caller that finds one wrong (a client deleted the tool through the
 * files API) forgets it. Bounded: past `limit` containers it starts over, as learning a fact again costs one
 * stat or one failed exec.
 */
export class ImageFacts<T> {
  private readonly known = new Map<string, T>();

  constructor(private readonly limit = 10_000) {}

  get(containerId: string): T | undefined {
    return this.known.get(containerId);
  }

  set(containerId: string, fact: T): T {
    if (this.known.size >= this.limit) this.known.clear();
    this.known.set(containerId, fact);
    return fact;
  }

  forget(containerId: string): void {
    this.known.delete(containerId);
  }
}
