/**
 * Take up to `max` bytes off the front of `queue` (a list of chunks, changed in place): whole chunks while they
 * fit, the rest of a chunk left as a view. One buffer comes back, copied only when it spans several chunks.
 * Shared by the download paths, which hand a client pieces of a bounded size from what has arrived.
 */
export function takeFront(queue: Buffer[], max: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  while (queue.length > 0 && size < max) {
    const head = queue[0]!;
    if (head.length <= max - size) {
      parts.push(head);
      queue.shift();
      size += head.length;
    } else {
      parts.push(head.subarray(0, max - size));
      queue[0] = head.subarray(max - size);
      size = max;
    }
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
}
