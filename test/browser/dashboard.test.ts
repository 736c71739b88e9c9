import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { SESSION_ENDED_CLOSE_CODE } from '../../src/http/proxy/pty-upgrade.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMountWorld, createSandbox, deleteSandbox, type MountWorld } from '../fixtures/mount-e2e.js';
import { startMountServer, type MountServer } from '../fixtures/mount-server.js';
import { ARTIFACTS, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { TEST_API_KEY } from '../helpers/keys.js';
import { removeInstanceContainers } from '../helpers/server.js';

// A real server process (Postgres, real Docker, real FUSE mounts through the ossfs stand-in) driven through
// Debian's Chromium: what an operator does in the dashboard, and what must never leak into the browser.
let w: MountWorld;
let server: MountServer;
let b: TestBrowser;
let page: Page;
let receiver: Server;
let receiverStatus = 410;
/** every response body and URL the browser saw, to prove the key is in none of them */
const seen: { url: string; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(receiverStatus).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  w = await createMountWorld();
  server = await startMountServer({
    databaseUrl: w.testDb.url,
    dataDir: w.dataDir,
    mountRoot: w.mountRoot,
    env: w.serverEnv({ BERTH_WEBHOOK_ALLOW_PRIVATE: 'true', BERTH_EXECD_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) }),
  });
  b = await launchBrowser();
  page = await b.context.newPage();
  page.on('response', async (res) => {
    const type = res.headers()['content-type'] ?? '';
    const body = /html|javascript|css|json/.test(type) ? await res.text().catch(() => '') : '';
    seen.push({ url: res.url(), body });
  });
});

afterAll(async () => {
  await b?.close();
  if (mountHolder) await deleteSandbox(server, mountHolder).catch(() => {});
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
  await w?.close();
  await new Promise((r) => receiver?.close(r));
});

const dash = (path = '') => `${server.url}/dashboard${path}`;
/** The status a WebSocket upgrade to a path of the server gets: 101 when it opens. */
const wsStatus = (path: string, headers: Record<string, string>) =>
  new Promise<number>((resolve) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}?takeover=1`, { headers });
    ws.on('open', () => (ws.close(), resolve(101)));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
/** the terminal test's PTY socket path, which the sign-out test tries again with a copied cookie */
let terminalWs = '';
/** Pages the tests opened, by name (each with live content): the phone and every-form checks visit them all. */
const visited = new Map<string, string>();
/** The sandbox holding the shared mount, kept so its page shows a volume and its mount (deleted at the end). */
let mountHolder = '';
const MIB = 1024 * 1024;
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** What has the focus: a link's or button's text (or aria-label), a form field as `name=<its name>`. */
const focusedName = (p: Page) =>
  p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return `name=${el.name}`;
    return (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  });

/** Presses Tab until the focused control is `name`; fails when Tab never gets there. */
async function tabTo(p: Page, name: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await p.keyboard.press('Tab');
    if ((await focusedName(p)) === name) return;
  }
  throw new Error(`Tab never reached "${name}" on ${p.url()}`);
}

async function apiCreate(metadata: Record<string, string>, volumes: unknown[] = [], entrypoint = ['tail', '-f', '/dev/null']): Promise<string> {
  const res = await server.api('/v1/sandboxes', {
    method: 'POST',
    body: JSON.stringify({
      image: { uri: 'berth-base:latest' },
      entrypoint,
      resourceLimits: { cpu: '250m', memory: '128Mi' },
      timeout: 3600,
      metadata,
      volumes,
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('the dashboard in a real Chromium', () => {
  it('sends a page without a session to sign-in, and signs in with the key', async () => {
    await page.goto(dash('/sandboxes'));
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/dashboard/sandboxes');
    await page.getByLabel('API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await page.getByLabel('API key').fill(TEST_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(dash('/sandboxes'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sandboxes');
  });

  it('shows a sandbox created through the API, live, and filters the list by state and metadata', async () => {
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    const id = await apiCreate({ team: 'browser', tier: 'gold' });
    await page.locator(`tr[data-sandbox="${id}"]`).waitFor({ timeout: 20_000 });
    const other = await apiCreate({ team: 'other' });
    await page.locator(`tr[data-sandbox="${other}"]`).waitFor({ timeout: 20_000 });
    await shot('sandbox-list');

    await page.getByLabel('Running').check();
    await page.getByLabel('Metadata (key=value, comma separated)').fill('team=browser');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/metadata=team%3Dbrowser/);
    expect(await page.locator(`tr[data-sandbox="${id}"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-sandbox="${other}"]`).count()).toBe(0);
    await page.getByLabel('Running').uncheck();
    await page.getByLabel('Paused').check();
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=Paused/);
    expect(await page.locator('tbody tr[data-sandbox]').count()).toBe(0);
  });

  it('updates the overview, a sandbox page and the event tail live from the event stream, and polls nothing', async () => {
    /** Marks the loaded document: a reload would lose the mark, so a change seen with it kept came live. */
    const mark = () => page.evaluate(() => ((window as unknown as { berthMark: number }).berthMark = 1));
    const marked = () => page.evaluate(() => (window as unknown as { berthMark?: number }).berthMark === 1);
    // Idle means no event either: the earlier tests' creates have all settled first.
    await expect
      .poll(async () => ((await (await server.api('/v1/sandboxes?state=Pending')).json()) as { items: unknown[] }).items.length, { timeout: 20_000 })
      .toBe(0);
    await page.goto(dash(''));
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    await mark();
    const running = page.locator('a[data-state=Running] b');
    const before = Number(await running.textContent());
    // Idle, the page asks the server nothing: its one EventSource request stays open, nothing polls.
    const asked: string[] = [];
    const count = (r: { url: () => string }) => asked.push(r.url());
    page.on('request', count);
    await new Promise((r) => setTimeout(r, 3000));
    page.off('request', count);
    expect(asked).toEqual([]);
    const id = await apiCreate({ team: 'live' });
    await expect.poll(async () => Number(await running.textContent()), { timeout: 20_000 }).toBe(before + 1);
    expect(await marked()).toBe(true);

    await page.goto(dash(`/sandboxes/${id}`));
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    await mark();
    expect((await server.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' })).status).toBe(202);
    await page.locator('[data-testid=state]', { hasText: 'Paused' }).waitFor({ timeout: 20_000 });
    await page.locator('#sandbox-history', { hasText: 'sandbox.paused' }).waitFor({ timeout: 20_000 });
    expect(await marked()).toBe(true);

    await page.goto(dash('/events'));
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    await mark();
    expect((await server.api(`/v1/sandboxes/${id}/resume`, { method: 'POST' })).status).toBe(202);
    await page.locator('#event-tail tr', { hasText: 'sandbox.resumed' }).first().waitFor({ timeout: 20_000 });
    expect(await marked()).toBe(true);
  });

  it('pauses and resumes, edits metadata, renews, and records the session as the actor', async () => {
    const id = await apiCreate({ team: 'actions' });
    await page.goto(dash(`/sandboxes/${id}`));
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('[data-testid=state]', { hasText: 'Paused' }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('[data-testid=state]', { hasText: 'Running' }).waitFor();

    await page.getByLabel(/One key=value per line/).fill('team=actions-edited\nowner=ops');
    await page.getByRole('button', { name: 'Save metadata' }).click();
    await page.getByRole('status').filter({ hasText: 'Metadata saved.' }).waitFor();
    expect(await page.locator('[data-testid=metadata]').textContent()).toBe('team=actions-edited, owner=ops');
    const api = (await (await server.api(`/v1/sandboxes/${id}`)).json()) as { metadata: Record<string, string> };
    expect(api.metadata).toEqual({ team: 'actions-edited', owner: 'ops' });

    await page.getByRole('button', { name: 'Renew' }).click();
    await page.getByRole('status').filter({ hasText: 'Renewed until' }).waitFor();
    await shot('sandbox-page');

    // The event log names the dashboard session, never the key, for every action taken here.
    const events = await server.api(`/v1/events?after=0&sandboxId=${id}`);
    const reader = events.body!.getReader();
    let text = '';
    while (!text.includes('sandbox.renewed')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const actors = [...text.matchAll(/"actor":"([^"]+)"/g)].map((m) => m[1]!);
    const fromDashboard = actors.filter((a) => a.startsWith('dashboard:'));
    expect(fromDashboard.length).toBeGreaterThanOrEqual(4); // paused, resumed, metadata_updated, renewed
    expect(new Set(fromDashboard).size).toBe(1);
    expect(text).not.toContain(TEST_API_KEY);
  });

  it("streams a sandbox's container logs live", async () => {
    const id = await apiCreate({ team: 'logs' }, [], ['sh', '-c', 'echo first-line; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done']);
    await page.goto(dash(`/sandboxes/${id}`));
    await page.locator('#container-logs', { hasText: 'first-line' }).waitFor({ timeout: 20_000 });
    // A line written after the page opened arrives without a reload.
    const now = Number(/tick-(\d+)(?![\s\S]*tick-)/.exec((await page.locator('#container-logs').textContent()) ?? '')?.[1] ?? 0);
    await page.locator('#container-logs', { hasText: `tick-${now + 2}` }).waitFor({ timeout: 20_000 });
  });

  it('deletes a sandbox after asking', async () => {
    const id = await apiCreate({ team: 'doomed' });
    await page.goto(dash(`/sandboxes/${id}`));
    await page.getByRole('link', { name: 'Delete…' }).click();
    await page.getByRole('heading', { name: /Delete sandbox/ }).waitFor();
    await page.getByRole('button', { name: 'Delete sandbox' }).click();
    await page.waitForURL(/\/dashboard\/sandboxes\?ok=/);
    expect(await page.locator(`tr[data-sandbox="${id}"]`).count()).toBe(0);
    expect((await server.api(`/v1/sandboxes/${id}`)).status).toBe(404);
  });

  it("watches a shared mount's reference count change live", async () => {
    const first = await createSandbox(server, [w.volume('dash')]);
    await page.goto(dash('/mounts'));
    const row = page.locator('tr[data-mount]').first();
    await row.waitFor();
    expect(await row.locator('[data-testid=refs]').textContent()).toBe('1');
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    const second = await createSandbox(server, [w.volume('dash')]);
    await page.locator('tr[data-mount] [data-testid=refs]', { hasText: '2' }).waitFor({ timeout: 20_000 });
    await shot('mounts');
    await deleteSandbox(server, second);
    await page.locator('tr[data-mount] [data-testid=refs]', { hasText: '1' }).waitFor({ timeout: 20_000 });
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: /Mount/ }).first().waitFor();
    expect(await page.content()).not.toContain(w.secret);
    visited.set('mount', page.url());
    // The holder's own page lists the volume and the mount it holds, with its reference count.
    await page.goto(dash(`/sandboxes/${first}`));
    await page.locator('#sandbox-volumes', { hasText: '1 reference' }).waitFor();
    expect(await page.locator('#sandbox-volumes a.mono').textContent()).toBe(new URL(visited.get('mount')!).pathname.split('/').pop());
    expect(await page.locator('section[aria-labelledby=h-endpoints]').textContent()).toContain(`/sandboxes/${first}/proxy/44772`);
    visited.set('sandbox', page.url());
    visited.set('sandbox-delete', dash(`/sandboxes/${first}/delete`));
    mountHolder = first;
  });

  it('redelivers a failed webhook delivery', async () => {
    receiverStatus = 410; // Gone: the delivery fails at once and the endpoint is disabled
    const created = await server.api('/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, eventTypes: ['sandbox.created'] }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { id: string };
    // The page is open before the event: the delivery and its failure appear live, without a reload.
    await page.goto(dash(`/webhooks/${hook.id}`));
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    const rendered = await page.locator('body').getAttribute('data-refreshed');
    await apiCreate({ team: 'hooked' });
    await page.locator('[data-testid=status]', { hasText: 'failed' }).first().waitFor({ timeout: 20_000 });
    expect(await page.locator('body').getAttribute('data-refreshed')).not.toBe(rendered);
    // The failed delivery's row: status, response code, duration and error.
    const failedRow = page.locator('tr[data-delivery]').first().locator('td');
    expect(await failedRow.nth(2).textContent()).toContain('failed');
    expect(await failedRow.nth(4).textContent()).toBe('410');
    expect(await failedRow.nth(5).textContent()).toMatch(/^\d+ ms$/);
    expect(await failedRow.nth(6).textContent()).not.toBe('');
    // The operator fixes the receiver and enables the endpoint again, then redelivers from the dashboard.
    receiverStatus = 204;
    expect((await server.api(`/v1/webhooks/${hook.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) })).status).toBe(200);
    await page.reload();
    await page.getByRole('button', { name: 'Redeliver' }).first().click();
    await page.getByRole('status').filter({ hasText: 'Redelivery' }).waitFor();
    await page.locator('[data-testid=status]', { hasText: 'succeeded' }).first().waitFor({ timeout: 20_000 }); // live too
    await shot('webhook');

    // Send a test: its delivery reaches the receiver (the endpoint's filter names only sandbox.created).
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByRole('status').filter({ hasText: 'A webhook.test event was queued.' }).waitFor();
    await page.locator('tr[data-delivery]', { hasText: 'webhook.test' }).locator('[data-testid=status]', { hasText: 'succeeded' }).waitFor({ timeout: 20_000 });
    // Rotate: the new secret is on the answer to the form, and on no later page or URL.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = (await page.locator('[data-testid=secret]').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    expect(page.url()).not.toContain(secret);
    await page.goto(dash(`/webhooks/${hook.id}`));
    expect(await page.locator('[data-testid=secret]').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    visited.set('webhook', page.url());
  });

  it('refuses a form posted without the CSRF token', async () => {
    const id = await apiCreate({ team: 'csrf' });
    const res = await page.request.post(dash(`/sandboxes/${id}/pause`), { form: { nothing: 'here' }, headers: { origin: server.url } });
    expect(res.status()).toBe(403);
    const crossSite = await page.request.post(dash(`/sandboxes/${id}/pause`), { form: { _csrf: 'x' }, headers: { origin: 'http://evil.example' } });
    expect(crossSite.status()).toBe(403);
    const state = (await (await server.api(`/v1/sandboxes/${id}`)).json()) as { status: { state: string } };
    expect(state.status.state).toBe('Running');
  });

  it('runs a command in a terminal over the PTY WebSocket, with the session cookie and not the key', async () => {
    const id = await apiCreate({ team: 'term' });
    await page.goto(dash(`/sandboxes/${id}`));
    await page.getByRole('button', { name: 'Open a terminal' }).click();
    await page.waitForURL(/\/terminal\//);
    await page.locator('#terminal-status', { hasText: 'connected' }).waitFor();
    await page.getByLabel('Command').fill('echo hello-from-$((6*7))');
    await page.getByLabel('Command').press('Enter');
    await page.locator('#terminal', { hasText: 'hello-from-42' }).waitFor({ timeout: 20_000 });
    // A second command in the same session: the shell keeps its state (cwd) between lines.
    await page.getByLabel('Command').fill('cd /tmp && echo made > t.txt; pwd; cat t.txt');
    await page.getByLabel('Command').press('Enter');
    await page.locator('#terminal', { hasText: /\/tmp\s+made/ }).waitFor({ timeout: 20_000 });
    await shot('terminal');
    visited.set('terminal', page.url());

    // The same socket from another origin, or without a session, is refused before the handshake.
    terminalWs = (await page.locator('#terminal').getAttribute('data-ws'))!;
    const cookie = (await b.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    expect(await wsStatus(terminalWs, { cookie, origin: 'http://evil.example' })).toBe(401);
    expect(await wsStatus(terminalWs, { origin: server.url })).toBe(401);
  });

  it('browses, uploads past 1 MiB, downloads and deletes files; an upload over the limit is refused before sending', async () => {
    const id = await apiCreate({ team: 'files' });
    await page.goto(dash(`/sandboxes/${id}`));
    await page.getByRole('link', { name: 'Browse files' }).click();
    await page.getByRole('link', { name: 'tmp/' }).click();
    await page.locator('[data-testid=cwd]', { hasText: '/tmp' }).waitFor();
    const uploadFile = async (name: string, buffer: Buffer) => {
      await page.getByLabel('Upload a file here').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
    };
    await uploadFile('note.txt', Buffer.from('uploaded through the dashboard\n'));
    await page.locator('tr[data-entry="/tmp/note.txt"]').waitFor();
    // Past the API's 1 MiB body limit, within the server's BERTH_EXECD_MAX_UPLOAD_BYTES (2 MiB here).
    await uploadFile('big.bin', Buffer.alloc(Math.floor(1.5 * MIB), 0x62));
    await page.locator('tr[data-entry="/tmp/big.bin"]').waitFor();
    expect(await page.locator('tr[data-entry="/tmp/big.bin"] td').nth(2).textContent()).toBe(String(Math.floor(1.5 * MIB)));
    await uploadFile('huge.bin', Buffer.alloc(3 * MIB));
    await page.locator('#upload-status', { hasText: 'upload refused: huge.bin is 3145728 bytes; the limit is 2097152 bytes.' }).waitFor();
    expect(await page.locator('tr[data-entry="/tmp/huge.bin"]').count()).toBe(0);

    const download = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'note.txt', exact: true }).click()]).then(([d]) => d);
    const text = await new Promise<string>((resolve, reject) =>
      download.createReadStream().then((s) => {
        let out = '';
        s.on('data', (ch: Buffer) => (out += ch.toString()));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      }, reject),
    );
    expect(text).toBe('uploaded through the dashboard\n');
    await shot('files');

    visited.set('files', page.url());
    await page.getByRole('link', { name: 'Delete big.bin' }).click();
    visited.set('file-delete', page.url());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted /tmp/big.bin.' }).waitFor();
    expect(await page.locator('tr[data-entry="/tmp/big.bin"]').count()).toBe(0);
    await page.locator('tr[data-entry="/tmp/note.txt"]').waitFor();
  });

  it('keeps the key out of every page, script, URL, cookie and storage', async () => {
    await page.goto(dash('/events'));
    await page.locator('#event-tail tr').first().waitFor();
    await shot('events');
    await page.goto(dash(''));
    await shot('overview');
    expect(seen.length).toBeGreaterThan(10);
    for (const r of seen) {
      expect(r.url).not.toContain(TEST_API_KEY);
      expect(r.body).not.toContain(TEST_API_KEY);
    }
    // Everything the browser loaded came from berth itself: no CDN, no other origin.
    expect([...new Set(seen.map((r) => new URL(r.url).origin))]).toEqual([new URL(server.url).origin]);
    const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(storage).toBe(JSON.stringify({ local: {}, session: {}, cookie: '' })); // the session cookie is HttpOnly
    const cookies = await b.context.cookies();
    expect(cookies.map((c) => c.name)).toEqual(['berth_dashboard']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.value).not.toContain(TEST_API_KEY);
  });

  it('fits a phone screen on every page, and refuses every form on them posted without its token', async () => {
    const pages: [string, string][] = [
      ['sign-in', dash('/sign-in')],
      ['overview', dash('')],
      ['sandboxes', dash('/sandboxes')],
      ['mounts', dash('/mounts')],
      ['webhooks', dash('/webhooks')],
      ['events', dash('/events')],
      ['not-found', dash('/sandboxes/no-such-sandbox')],
      ...visited,
    ];
    // every page a test opened is here: the sandbox page (with its volume), both delete confirmations,
    // the terminal, the file browser, a mount and a webhook endpoint
    expect(pages.map(([name]) => name).sort()).toEqual(
      [
        'events',
        'file-delete',
        'files',
        'mount',
        'mounts',
        'not-found',
        'overview',
        'sandbox',
        'sandbox-delete',
        'sandboxes',
        'sign-in',
        'terminal',
        'webhook',
        'webhooks',
      ].sort(),
    );
    const phone = await b.context.newPage();
    const formsRefused = new Set<string>();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      for (const [name, url] of pages) {
        await phone.goto(url);
        await phone.locator('main h1').first().waitFor();
        // Wide tables scroll inside their own box; the page itself never scrolls sideways.
        const widths = await phone.evaluate(() => ({ page: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth }));
        expect({ name, ...widths }).toEqual({ name, page: widths.view, body: widths.view, view: 390 });
        await phone.screenshot({ path: join(ARTIFACTS, `phone-${name}.png`), fullPage: true });

        // Each form the page shows that changes state, posted as it is but without its CSRF token: refused.
        const forms = await phone.$$eval('form', (list) =>
          list.map((f) => ({
            action: f.getAttribute('method') === 'post' ? f.action : f.getAttribute('data-upload'),
            upload: f.hasAttribute('data-upload'),
            fields: [...new FormData(f)].filter(([k, v]) => k !== '_csrf' && typeof v === 'string') as [string, string][],
          })),
        );
        for (const f of forms.filter((x) => x.action)) {
          const target = new URL(f.action!, server.url);
          const res = await phone.request.post(target.href, { form: Object.fromEntries(f.fields), headers: { origin: server.url } });
          expect({ form: target.pathname, status: res.status() }).toEqual({ form: target.pathname, status: 403 });
          formsRefused.add(target.pathname.replace(/\/(sandboxes|webhooks|deliveries)\/[^/]+/g, '/$1/:id') + (f.upload ? ' (upload)' : ''));
        }
      }
    } finally {
      await phone.close();
    }
    expect([...formsRefused].sort()).toEqual(
      [
        '/dashboard/sign-in',
        '/dashboard/sign-out',
        '/dashboard/sandboxes/:id/pause',
        '/dashboard/sandboxes/:id/terminal',
        '/dashboard/sandboxes/:id/renew',
        '/dashboard/sandboxes/:id/metadata',
        '/dashboard/sandboxes/:id/delete',
        '/dashboard/sandboxes/:id/files/upload (upload)',
        '/dashboard/sandboxes/:id/files/delete',
        '/dashboard/webhooks/:id/test',
        '/dashboard/webhooks/:id/rotate-secret',
        '/dashboard/webhooks/:id/deliveries/:id/redeliver',
      ].sort(),
    );
    // Nothing above was done: the holder still runs and its page still opens.
    expect(((await (await server.api(`/v1/sandboxes/${mountHolder}`)).json()) as { status: { state: string } }).status.state).toBe('Running');
  });

  it('reaches and works every action from the keyboard alone, with a visible focus', async () => {
    // The skip link comes first and jumps past the nav to the page's own controls (the list's first filter).
    await page.goto(dash('/sandboxes'));
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('name=state');
    // Filter by keyboard: Space ticks a state, Enter on the button submits.
    await page.keyboard.press('Space');
    await tabTo(page, 'Filter');
    await page.keyboard.press('Enter');
    await page.waitForURL(/state=Pending/);

    const id = await apiCreate({ team: 'keyboard' });
    await page.goto(dash(`/sandboxes/${id}`));
    await page.locator('[data-testid=state]', { hasText: 'Running' }).waitFor({ timeout: 20_000 });
    await tabTo(page, 'Pause');
    // The focus ring is drawn (a keyboard user sees where they are), and not by colour of the control alone.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=state]', { hasText: 'Paused' }).waitFor();
    await tabTo(page, 'Resume');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=state]', { hasText: 'Running' }).waitFor();
    await tabTo(page, 'Renew');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Renewed until' }).waitFor();
    // Metadata: Tab into the editor, type, Tab to its button.
    await tabTo(page, 'name=metadata');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('team=keyboard\nvia=keys');
    await tabTo(page, 'Save metadata');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Metadata saved.' }).waitFor();
    expect(((await (await server.api(`/v1/sandboxes/${id}`)).json()) as { metadata: Record<string, string> }).metadata).toEqual({
      team: 'keyboard',
      via: 'keys',
    });
    // Delete through its confirmation page.
    await tabTo(page, 'Delete…');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Delete sandbox/ }).waitFor();
    await tabTo(page, 'Delete sandbox');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/dashboard\/sandboxes\?ok=/);
    expect((await server.api(`/v1/sandboxes/${id}`)).status).toBe(404);
  });

  it('signs out, after which a copy of the session cookie opens neither a page nor the terminal', async () => {
    const copied = (await b.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const replay = () => fetch(dash('/mounts'), { headers: { cookie: copied }, redirect: 'manual' });
    expect((await replay()).status).toBe(200);
    expect(await wsStatus(terminalWs, { cookie: copied, origin: server.url })).toBe(101);
    // A terminal left open with the session must be closed when it ends, not only refused on the next connect.
    const open = new WebSocket(`${server.url.replace('http', 'ws')}${terminalWs}?takeover=1`, { headers: { cookie: copied, origin: server.url } });
    const closedWith = new Promise<number>((resolve) => open.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => (open.once('open', resolve), open.once('error', reject)));
    // Another tab follows the live event tail; it must not go on hearing the log once the session is over.
    const other = await b.context.newPage();
    await other.goto(dash('/events'));
    await other.locator('#live-status', { hasText: 'live' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/dashboard\/sign-in/);
    await new Promise((r) => setTimeout(r, 5500)); // past the stream's session recheck
    await apiCreate({ team: 'after-sign-out' });
    await other.waitForURL(/\/dashboard\/sign-in/, { timeout: 15_000 });
    await other.close();
    await page.goto(dash('/mounts'));
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    const after = await replay();
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard%2Fmounts');
    expect(await wsStatus(terminalWs, { cookie: copied, origin: server.url })).toBe(401);
    expect(await closedWith).toBe(SESSION_ENDED_CLOSE_CODE);
  });
});
