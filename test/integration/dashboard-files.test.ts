import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { actorOfCookie, DASHBOARD_ORIGIN, eventsOfType, signInDashboard, type DashboardClient } from '../helpers/dashboard.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

// The dashboard's file browser and terminal on the real engine and real Postgres: uploads past the API's
// 1 MiB body limit go through execd's spooling upload verb under the execd upload limit, and every upload,
// delete and terminal opened is logged with the session as actor.
const MIB = 1024 * 1024;
const LIMIT = 3 * MIB;

let t: ExecdApp;
let app: ReturnType<typeof createApp>;
let dash: DashboardClient;
let id: string;

/** What the page's script sends: execd's multipart shape, the CSRF token in a header. */
function upload(path: string, bytes: number, csrf = dash.csrf) {
  const body = new FormData();
  body.append('metadata', new Blob([JSON.stringify({ path, mode: 644 })], { type: 'application/json' }), 'metadata');
  body.append('file', new Blob([new Uint8Array(bytes).fill(0x61)]), 'f');
  return app.request(`/dashboard/sandboxes/${id}/files/upload`, {
    method: 'POST',
    headers: { cookie: dash.cookie, origin: DASHBOARD_ORIGIN, 'x-berth-csrf': csrf },
    body,
  });
}
const sizeOf = async (path: string) => {
  const res = await t.execd(id, `/files/info?path=${encodeURIComponent(path)}`);
  return res.status === 200 ? ((await res.json()) as Record<string, { size: number }>)[path]?.size : res.status;
};

beforeAll(async () => {
  t = await buildExecdApp('postgres');
  // The same deps with the operator's BERTH_EXECD_MAX_UPLOAD_BYTES made small enough to exceed in a test.
  app = createApp({ ...t.deps, config: { ...t.deps.config, execdMaxUploadBytes: LIMIT } });
  id = await t.createSandbox();
  dash = await signInDashboard(app);
}, 120_000);
afterAll(() => t?.close());

describe('the dashboard file browser and terminal', () => {
  it('uploads a file larger than 1 MiB, logging the session as actor', async () => {
    const res = await upload('/tmp/big.bin', Math.floor(1.5 * MIB));
    expect(res.status).toBe(204);
    expect(res.headers.get('content-length')).toBe('0');
    expect(await sizeOf('/tmp/big.bin')).toBe(Math.floor(1.5 * MIB));
    const [ev] = await eventsOfType(t.deps.db, 'sandbox.files_uploaded');
    expect(ev).toMatchObject({ sandboxId: id, actor: actorOfCookie(dash.cookie), data: { files: [{ path: '/tmp/big.bin', bytes: Math.floor(1.5 * MIB) }] } });
  });

  it('refuses an upload over the execd upload limit with a 413 that says so, writing nothing', async () => {
    const res = await upload('/tmp/huge.bin', LIMIT + MIB);
    expect(res.status).toBe(413);
    expect(await res.text()).toBe(`The upload exceeds ${LIMIT} bytes. The limit is 3 MiB (BERTH_EXECD_MAX_UPLOAD_BYTES).`);
    expect(await sizeOf('/tmp/huge.bin')).toBe(404);
    expect((await eventsOfType(t.deps.db, 'sandbox.files_uploaded')).length).toBe(1);
    const page = await (await dash.get(`/dashboard/sandboxes/${id}/files?path=/tmp`)).text();
    expect(page).toContain('data-max="3145728"');
    expect(page).toContain('up to 3 MiB');
  });

  it('refuses an upload without the CSRF token', async () => {
    expect((await upload('/tmp/nope.bin', 10, 'wrong')).status).toBe(403);
    expect(await sizeOf('/tmp/nope.bin')).toBe(404);
  });

  it('deletes a file after asking, logging the session as actor', async () => {
    const listing = await (await dash.get(`/dashboard/sandboxes/${id}/files?path=/tmp`)).text();
    expect(listing).toContain(`/dashboard/sandboxes/${id}/files/delete?path=%2Ftmp%2Fbig.bin`);
    const ask = await (await dash.get(`/dashboard/sandboxes/${id}/files/delete?path=%2Ftmp%2Fbig.bin`)).text();
    expect(ask).toContain('Delete <span class="mono">/tmp/big.bin</span>?');
    const res = await dash.post(`/dashboard/sandboxes/${id}/files/delete`, { path: '/tmp/big.bin' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(new RegExp(`^/dashboard/sandboxes/${id}/files\\?path=%2Ftmp&ok=`));
    expect(await sizeOf('/tmp/big.bin')).toBe(404);
    const [ev] = await eventsOfType(t.deps.db, 'sandbox.files_deleted');
    expect(ev).toMatchObject({ sandboxId: id, actor: actorOfCookie(dash.cookie), data: { paths: ['/tmp/big.bin'] } });
  });

  it('opens a terminal, logging the session as actor', async () => {
    const res = await dash.post(`/dashboard/sandboxes/${id}/terminal`);
    expect(res.status).toBe(303);
    const session = new RegExp(`^/dashboard/sandboxes/${id}/terminal/([^?]+)\\?`).exec(res.headers.get('location')!)?.[1];
    expect(session).toBeTruthy();
    const [ev] = await eventsOfType(t.deps.db, 'sandbox.terminal_opened');
    expect(ev).toMatchObject({ sandboxId: id, actor: actorOfCookie(dash.cookie), data: { ptySessionId: session } });
  });
});
