import { describe, expect, it } from 'vitest';
import { appRoutes } from '../fuzz/route-table.js';
import { DB_KINDS } from '../helpers/app.js';
import { appWithSandbox } from '../helpers/app-with-sandbox.js';

// Issue #10: a NUL byte in any id, query or body value is refused on every route, before anything
// reaches Postgres (it used to fail the statement: a 500). Every route the app registers (read from the
// app, as the fuzz tier reads it, so a route added later is covered without a change here), each path
// parameter in turn replaced by %00, then a NUL in the query, then one in a JSON body. The server proxy
// to a sandbox's own ports carries the sandbox's bytes: only its sandbox id is berth's (and is checked
// there without an API key).

const routes = appRoutes();
const isServerProxy = (path: string) => /\/proxy\/:port/.test(path);
const methodsOf = (method: string) => (method === 'ALL' ? ['GET', 'POST'] : [method]);
const PARAM = /:(\w+)(\{[^}]*\})?|\*/g;

/** The route's path with every parameter filled in (the real sandbox's id, a port, plain names), `nul` at index `at`. */
function fill(path: string, sandboxId: string, at = -1): string {
  let i = 0;
  return path.replace(PARAM, (whole, name: string | undefined) => {
    const mine = i++ === at;
    if (mine) return name === 'port' ? '80%00' : 'a%00b';
    if (name === 'sandboxId' || name === 'id') return sandboxId;
    if (name === 'port') return '8080';
    return whole === '*' ? 'x' : 'name';
  });
}

const paramCount = (path: string) => [...path.matchAll(PARAM)].length;

describe.each(DB_KINDS)('a NUL anywhere, on every route (%s)', (kind) => {
  const s = appWithSandbox(kind);

  /** 4xx {code, message}, never a 5xx; `nul` says the answer must be the NUL refusal itself (400). */
  async function expectRefused(res: Response, label: string, nul: boolean) {
    const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? (await res.body?.cancel(), '(stream)') : await res.text();
    expect(res.status, `${label}: ${text.slice(0, 300)}`).toBeLessThan(500);
    if (nul) {
      expect(res.status, `${label}: ${text.slice(0, 300)}`).toBe(400);
      expect(JSON.parse(text), label).toEqual({ code: expect.any(String), message: expect.stringMatching(/NUL/) });
    }
  }

  it(`every path parameter of the ${routes.length} routes`, async () => {
    let sent = 0;
    for (const r of routes) {
      const n = paramCount(r.path);
      for (let at = 0; at < n; at++) {
        // the server proxy's port and path belong to the sandbox; only its sandbox id is berth's
        if (isServerProxy(r.path) && at > 0) continue;
        for (const method of methodsOf(r.method)) {
          const path = fill(r.path, s.sandboxId, at);
          await expectRefused(await s.t.call(method, path), `${method} ${path}`, true);
          sent++;
        }
      }
    }
    console.log(`NUL in a path parameter: ${sent} requests over ${routes.length} routes, all refused`);
    expect(sent).toBeGreaterThan(100);
  });

  it('a NUL in the query of every route', async () => {
    let sent = 0;
    for (const r of routes.filter((x) => !isServerProxy(x.path))) {
      for (const method of methodsOf(r.method)) {
        const path = `${fill(r.path, s.sandboxId)}?q=a%00b`;
        await expectRefused(await s.t.call(method, path), `${method} ${path}`, true);
        sent++;
      }
    }
    console.log(`NUL in the query: ${sent} requests, all refused`);
  });

  it('a NUL in a JSON body (a value, then a key) of every route that takes one', async () => {
    let sent = 0;
    for (const r of routes.filter((x) => !isServerProxy(x.path))) {
      for (const method of methodsOf(r.method).filter((m) => m !== 'GET' && m !== 'HEAD')) {
        const path = fill(r.path, s.sandboxId);
        for (const body of ['{"name":"a\\u0000b","path":"/tmp/a\\u0000"}', '{"a\\u0000":"x"}']) {
          // an execd upload's body is the file (never scanned); it refuses a JSON body as not multipart
          const opaque = /\/files\/upload$/.test(r.path) && r.path.includes('/proxy/44772/');
          await expectRefused(await s.t.call(method, path, body), `${method} ${path} ${body}`, !opaque);
          sent++;
        }
      }
    }
    console.log(`NUL in a JSON body: ${sent} requests, all refused (the execd uploads as not multipart)`);
    // nothing was made from any of them: the one sandbox of the setup is all there is
    expect(await s.t.countRows()).toBe(1);
  });
});
