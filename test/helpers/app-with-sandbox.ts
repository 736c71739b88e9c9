import { afterAll, beforeAll, expect } from 'vitest';
import { buildTestApp, createBody, type DbKind, type TestApp } from './app.js';

/** What appWithSandbox fills in before the describe block's tests run. */
export type AppWithSandbox = { t: TestApp; sandboxId: string };

/**
 * Call inside a describe block: a test app on `kind` with one sandbox created from `body`, built before
 * the block's tests and closed after them. Read `t` and `sandboxId` inside tests, never at collection time.
 */
export function appWithSandbox(kind: DbKind, body: Record<string, unknown> = createBody()): AppWithSandbox {
  const s = {} as AppWithSandbox;
  beforeAll(async () => {
    s.t = await buildTestApp(kind);
    s.sandboxId = (await (await s.t.call('POST', '/v1/sandboxes', body)).json()).id;
  });
  afterAll(async () => {
    await s.t?.close();
  });
  return s;
}

/**
 * `res` is a 400 whose body is exactly `{ code, message }`, the message containing `text`. Any other
 * answer fails naming `label` and the body, except an event stream, which never ends and is not read.
 */
export async function expect400(res: Response, code: string, text: string, label = ''): Promise<void> {
  const stream = res.status !== 400 && res.headers.get('content-type')?.startsWith('text/event-stream');
  const raw = stream ? (await res.body?.cancel(), '(an event stream)') : await res.text();
  expect(res.status, `${label} ${raw}`.trim()).toBe(400);
  expect(JSON.parse(raw)).toEqual({ code, message: expect.stringContaining(text) });
}
