import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDashboardHost } from '../../src/http/dashboard/dashboard-host.js';
import { attachProxyUpgrade } from '../../src/http/proxy/upgrade.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';

// BERTH_DASHBOARD_HOST gives the dashboard an origin no sandbox content is served on: a page a sandbox
// serves through the server proxy can then never run as same-origin script next to the dashboard.
const DASH = 'dash.test';
let t: TestApp;
let srv: Listening;

beforeAll(async () => {
  t = await buildTestApp('postgres', { config: { dashboardHost: DASH } });
  srv = await listenOnRandomPort(t.app.fetch);
  attachProxyUpgrade(srv.server, t.deps);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

/** A raw upgrade request, answered by whatever the server writes first. */
function upgrade(path: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect((srv.server.address() as AddressInfo).port, '127.0.0.1', () => {
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`);
      socket.write(`Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
    });
    let got = '';
    socket.on('data', (c) => (got += c.toString()));
    socket.on('end', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('a dashboard with a host of its own', () => {
  it('is served on its host only', async () => {
    expect((await t.app.request(`http://${DASH}/dashboard/sign-in`)).status).toBe(200);
    expect((await t.app.request(`http://${DASH}:8080/dashboard/sign-in`)).status).toBe(200);
    const elsewhere = await t.app.request('http://api.test/dashboard/sign-in');
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ code: 'GENERAL::NOT_FOUND' });
  });

  it('never proxies sandbox content on its host, over HTTP or WebSocket; the API host still does', async () => {
    const refused = await t.app.request(`http://${DASH}/sandboxes/sbx-1/proxy/8080/index.html`);
    expect(refused.status).toBe(404);
    expect((await refused.json()).message).toMatch(/not served on the dashboard host/);
    // the API host goes on to the sandbox lookup (there is no such sandbox here)
    const api = await t.app.request('http://api.test/sandboxes/sbx-1/proxy/8080/index.html');
    expect(await api.json()).toMatchObject({ code: 'DOCKER::SANDBOX_NOT_FOUND' });

    expect(await upgrade('/sandboxes/sbx-1/proxy/8080/ws', DASH)).toMatch(/^HTTP\/1\.1 404[\s\S]*not served on the dashboard host/);
    expect(await upgrade('/sandboxes/sbx-1/proxy/8080/ws', 'api.test')).toMatch(/DOCKER::SANDBOX_NOT_FOUND/);
    // execd's own PTY socket (berth's code, not the sandbox's) stays reachable there for the terminal
    expect(await upgrade('/sandboxes/sbx-1/proxy/44772/pty/p1/ws', DASH)).not.toMatch(/not served on the dashboard host/);
  });

  it('matches a configured name on any port, a configured port only on it', () => {
    expect(isDashboardHost('Dash.Test:443', { dashboardHost: 'dash.test' })).toBe(true);
    expect(isDashboardHost('dash.test:8443', { dashboardHost: 'dash.test:443' })).toBe(false);
    expect(isDashboardHost('dash.test:443', { dashboardHost: 'dash.test:443' })).toBe(true);
    expect(isDashboardHost('dash.test.evil', { dashboardHost: 'dash.test' })).toBe(false);
    expect(isDashboardHost('dash.test', { dashboardHost: undefined })).toBe(false);
  });
});
