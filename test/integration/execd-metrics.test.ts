import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSandbox } from '../../src/domain/sandbox/get-sandbox.js';
import { TEST_API_KEY } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';

type Metrics = { cpu_count: number; cpu_used_pct: number; mem_total_mib: number; mem_used_mib: number; timestamp: number };

function expectSane(m: Metrics) {
  expect(Object.keys(m).sort()).toEqual(['cpu_count', 'cpu_used_pct', 'mem_total_mib', 'mem_used_mib', 'timestamp']);
  expect(m.cpu_count).toBeGreaterThan(0);
  expect(m.cpu_used_pct).toBeGreaterThanOrEqual(0);
  expect(m.cpu_used_pct).toBeLessThanOrEqual(100);
  expect(m.mem_used_mib).toBeGreaterThanOrEqual(0);
  expect(m.mem_used_mib).toBeLessThanOrEqual(m.mem_total_mib);
  expect(Math.abs(m.timestamp - Date.now())).toBeLessThan(30_000);
}

describe('execd /metrics on a real engine', () => {
  let t: ExecdApp;
  let http: Listening;
  let id: string;
  beforeAll(async () => {
    t = await buildExecdApp('postgres');
    http = await listenOnRandomPort(t.app.fetch);
    id = await t.createSandbox();
  });
  afterAll(async () => {
    await http.close();
    await t.close();
  });

  it("reports the sandbox's own limits: 1 CPU, 256 MiB", async () => {
    const res = await t.execd(id, '/metrics');
    expect(res.status).toBe(200);
    const m = (await res.json()) as Metrics;
    expectSane(m);
    expect(m.cpu_count).toBe(1);
    expect(m.mem_total_mib).toBe(256);
  });

  it('needs the API key and a known sandbox', async () => {
    expect((await t.app.request(`/v1/sandboxes/${id}/proxy/44772/metrics`)).status).toBe(401);
    const unknown = await t.execd('no-such-sandbox', '/metrics');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'DOCKER::SANDBOX_NOT_FOUND' });
  });

  it('/metrics/watch streams one JSON per line about every 2 s and stops sampling when the client goes', async () => {
    let calls = 0;
    const exec = t.deps.exec;
    const stats = exec.stats.bind(exec);
    exec.stats = (cid) => (calls++, stats(cid));
    try {
      const ctl = new AbortController();
      const res = await fetch(`${http.base}/sandboxes/${id}/proxy/44772/metrics/watch`, {
        headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY },
        signal: ctl.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const started = Date.now();
      while (text.split('\n').length < 4) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      const lines = text.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThanOrEqual(3);
      const samples = lines.map((l) => JSON.parse(l) as Metrics);
      samples.forEach(expectSane);
      // three samples: the first at once, then two intervals of ~2 s
      expect(Date.now() - started).toBeGreaterThan(3000);
      expect(samples[2]!.timestamp).toBeGreaterThan(samples[0]!.timestamp);
      ctl.abort();
      await new Promise((r) => setTimeout(r, 300));
      const atAbort = calls;
      await new Promise((r) => setTimeout(r, 4500));
      expect(calls).toBe(atAbort);
    } finally {
      exec.stats = stats;
    }
  });

  it('answers for a paused sandbox too (the engine still has its cgroup)', async () => {
    const paused = await t.createSandbox();
    expect((await t.api(`/v1/sandboxes/${paused}/pause`, { method: 'POST' })).status).toBe(202);
    const res = await t.execd(paused, '/metrics');
    expect(res.status).toBe(200);
    const m = (await res.json()) as Metrics;
    expectSane(m);
    expect(m.cpu_used_pct).toBe(0);
  });

  it('answers 409 for a container that stopped before berth saw it (the engine gives it a sample of zeros)', async () => {
    const stopped = await t.createSandbox();
    const { containerId } = await getSandbox(t.deps, stopped);
    await t.docker.getContainer(containerId!).kill();
    await t.docker.getContainer(containerId!).wait(); // fully stopped: the engine then answers stats with zeros, not an error
    expect((await getSandbox(t.deps, stopped)).state).toBe('Running'); // no watcher in this app: the row does not know
    const res = await t.execd(stopped, '/metrics');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'SANDBOX_NOT_RUNNING', message: expect.stringContaining('exited') });
    const watch = await t.execd(stopped, '/metrics/watch');
    expect(watch.status).toBe(409);
  });
});
