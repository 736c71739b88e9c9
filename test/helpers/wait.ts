/** Poll `fn` every `stepMs` until it returns something other than undefined; fail after `ms`. */
export async function waitForValue<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 15_000, stepMs = 200): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
