/** Poll `fn` until it returns something truthy (the value); fail after `timeoutMs`. */
export async function waitForTruthy<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, stepMs = 20): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Poll `cond` (a throw counts as false) until it holds; the error names `what`. */
export async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000, stepMs = 200): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

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
