import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../src/domain/execd/commands/lines.js';
import { DB_KINDS } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { readFrames, textsOf } from '../helpers/exec-stream.js';
import { waitForValue } from '../helpers/wait.js';

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe.each(DB_KINDS)('execd commands on a real engine (%s)', (kind) => {
  let t: ExecdApp;
  let id: string;
  beforeAll(async () => {
    t = await buildExecdApp(kind);
    id = await t.createSandbox({ env: { FROM_CREATE: 'yes' } });
  });
  afterAll(() => t.close());

  const run = (body: Record<string, unknown>) => t.execd(id, '/command', json(body));

  it('streams init, one event per line on each stream, then execution_complete', async () => {
    const res = await run({ command: 'echo one; echo two >&2; printf "a\\n\\nb"; echo $FROM_CREATE $MINE', envs: { MINE: 'x y' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const frames = await readFrames(res);
    expect(frames[0]!.type).toBe('init');
    expect(frames[0]!.text).toMatch(/^cmd_/);
    expect(textsOf(frames, 'stdout')).toEqual(['one', 'a', '\n', 'byes x y']);
    expect(textsOf(frames, 'stderr')).toEqual(['two']);
    expect(frames.at(-1)!.type).toBe('execution_complete');
    expect(frames.filter((f) => f.type === 'execution_complete' || f.type === 'error')).toHaveLength(1);

    const status = await (await t.execd(id, `/command/status/${frames[0]!.text}`)).json();
    expect(status).toMatchObject({ id: frames[0]!.text, running: false, exit_code: 0 });
    expect(Date.parse(status.started_at)).toBeGreaterThan(0);
    expect(Date.parse(status.finished_at)).toBeGreaterThanOrEqual(Date.parse(status.started_at));
  });

  it('reports a non-zero exit as an error event whose evalue is the exit code; 127 for an unknown command', async () => {
    const frames = await readFrames(await run({ command: 'exit 3' }));
    expect(frames.at(-1)).toMatchObject({ type: 'error', error: { ename: 'CommandExecError', evalue: '3' } });
    expect(frames.some((f) => f.type === 'execution_complete')).toBe(false);
    const missing = await readFrames(await run({ command: 'no-such-tool-here' }));
    expect(missing.at(-1)!.error!.evalue).toBe('127');
    expect(textsOf(missing, 'stderr').join('\n')).toMatch(/no-such-tool-here/);
  });

  it('streams 50 MB on one line with no newline in pieces, none longer than a line may be, and keeps CR-only lines', async () => {
    const frames = await readFrames(await run({ command: "head -c 50000000 /dev/zero | tr '\\0' a; printf '\\nx\\ry\\r'" }));
    const texts = textsOf(frames, 'stdout') as string[];
    expect(Math.max(...texts.map((s) => s.length))).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(texts.slice(-2)).toEqual(['x', 'y']);
    const long = texts.slice(0, -2);
    expect(long.length).toBeGreaterThan(1);
    expect(long.reduce((n, s) => n + s.length, 0)).toBe(50_000_000);
    expect(long.every((s) => /^a+$/.test(s))).toBe(true);
    expect(frames.at(-1)!.type).toBe('execution_complete');
  });

  it('runs in cwd, as uid:gid, and keeps request envs to their request', async () => {
    const frames = await readFrames(await run({ command: 'pwd; id -u; id -g; echo "[$MINE]"', cwd: '/tmp', uid: 1234, gid: 99 }));
    expect(textsOf(frames, 'stdout')).toEqual(['/tmp', '1234', '99', '[]']);
  });

  it('validates before streaming: 400 JSON for bad input, missing cwd, gid without uid', async () => {
    for (const body of [
      { command: '  ' },
      { command: 'true', gid: 1 },
      { command: 'true', cwd: '/nope' },
      { command: 'true', cwd: '/etc/passwd' },
      { nope: 1 },
    ]) {
      const res = await run(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).code).toBe('INVALID_REQUEST_BODY');
    }
    const bad = await t.execd(id, '/command', { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
  });

  it('kills the process group on timeout and reports -1', async () => {
    const started = Date.now();
    const frames = await readFrames(await run({ command: 'sleep 30 & sleep 30; echo never', timeout: 300 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(frames.at(-1)).toMatchObject({ type: 'error', error: { evalue: '-1' } });
    expect(textsOf(frames, 'stdout')).toEqual([]);
  });

  it('interrupts a running foreground command: the stream ends with evalue -1, the status says so', async () => {
    const res = await run({ command: 'echo started; sleep 60' });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('started')) text += decoder.decode((await reader.read()).value);
    const cmdId = JSON.parse(text.split('\n\n')[0]!).text as string;
    const del = await t.execd(id, `/command?id=${cmdId}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.headers.get('content-length')).toBe('0');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toMatch(/"evalue":"-1"/);
    const again = await t.execd(id, `/command?id=${cmdId}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect((await t.execd(id, '/command', { method: 'DELETE' })).status).toBe(400);
    expect((await t.execd(id, '/command?id=cmd_unknown', { method: 'DELETE' })).status).toBe(404);
  });

  it('holds a command back while its client does not read: the output waits in the process, not in berth', async () => {
    // 100 MB of output: more than berth may hold for one client, fast enough to be done in well under a second.
    // Lines of 1000 bytes, so that berth reading on regardless (no pause) would also be done by then: with
    // short lines the events alone kept it busy past the wait, and the test passed without backpressure.
    const res = await run({ command: 'yes "$(head -c 1000 /dev/zero | tr \'\\0\' a)" | head -c 100000000; echo done' });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const cmdId = JSON.parse(first.split('\n\n')[0]!).text as string;
    const before = process.memoryUsage().arrayBuffers;
    await new Promise((r) => setTimeout(r, 2000));
    const status = (await (await t.execd(id, `/command/status/${cmdId}`)).json()) as { running: boolean };
    expect(status.running).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
    expect((await t.execd(id, `/command?id=${cmdId}`, { method: 'DELETE' })).status).toBe(200);
    await reader.cancel();
  });

  it('runs background commands whose output is read back with a byte cursor', async () => {
    const frames = await readFrames(await run({ command: 'echo first; sleep 0.3; echo second; exit 4', background: true }));
    expect(frames.map((f) => f.type)).toEqual(['init', 'execution_complete']);
    const cmdId = frames[0]!.text!;
    const status = await waitForValue(async () => {
      const s = (await (await t.execd(id, `/command/status/${cmdId}`)).json()) as { running: boolean };
      return s.running ? undefined : s;
    }, 10_000);
    expect(status).toMatchObject({ exit_code: 4, error: 'exit status 4' });
    const all = await t.execd(id, `/command/${cmdId}/logs`);
    expect(await all.text()).toBe('first\nsecond\n');
    expect(all.headers.get('execd-commands-tail-cursor')).toBe('13');
    const tail = await t.execd(id, `/command/${cmdId}/logs?cursor=6`);
    expect(await tail.text()).toBe('second\n');
    const end = await t.execd(id, `/command/${cmdId}/logs?cursor=13`);
    expect(await end.text()).toBe('');
    expect(end.headers.get('execd-commands-tail-cursor')).toBe('13');
  });

  it('counts commands by exit-code class and file bytes in the Prometheus metrics', async () => {
    const metric = async (re: RegExp) => Number(re.exec(await (await t.api('/metrics')).text())?.[1] ?? 0);
    const okBefore = await metric(/berth_execd_command_duration_seconds_count\{kind="foreground",outcome="ok"\} (\d+)/);
    const errBefore = await metric(/berth_execd_command_duration_seconds_count\{kind="foreground",outcome="error"\} (\d+)/);
    const killedBefore = await metric(/berth_execd_command_duration_seconds_count\{kind="foreground",outcome="killed"\} (\d+)/);
    await readFrames(await run({ command: 'true' }));
    await readFrames(await run({ command: 'exit 1' }));
    await readFrames(await run({ command: 'sleep 30', timeout: 100 }));
    expect(await metric(/berth_execd_command_duration_seconds_count\{kind="foreground",outcome="ok"\} (\d+)/)).toBe(okBefore + 1);
    expect(await metric(/berth_execd_command_duration_seconds_count\{kind="foreground",outcome="error"\} (\d+)/)).toBe(errBefore + 1);
    // a timeout or an interrupt is berth's kill, not the command's failure
    expect(await metric(/berth_execd_command_duration_seconds_count\{kind="foreground",outcome="killed"\} (\d+)/)).toBe(killedBefore + 1);

    const up = new FormData();
    up.append('metadata', new Blob([JSON.stringify({ path: '/tmp/counted.bin' })], { type: 'application/json' }), 'metadata');
    up.append('file', new Blob([new Uint8Array(1000)]), 'counted.bin');
    const upBefore = await metric(/berth_execd_file_bytes_total\{direction="upload"\} (\d+)/);
    expect((await t.execd(id, '/files/upload', { method: 'POST', body: up })).status).toBe(200);
    expect(await metric(/berth_execd_file_bytes_total\{direction="upload"\} (\d+)/)).toBe(upBefore + 1000);
    const downBefore = await metric(/berth_execd_file_bytes_total\{direction="download"\} (\d+)/);
    expect((await (await t.execd(id, '/files/download?path=/tmp/counted.bin')).arrayBuffer()).byteLength).toBe(1000);
    // counted once the response has closed, a tick after the client holds the last byte
    const down = await waitForValue(
      async () => {
        const n = await metric(/berth_execd_file_bytes_total\{direction="download"\} (\d+)/);
        return n > downBefore ? n : undefined;
      },
      5000,
      20,
    );
    expect(down).toBe(downBefore + 1000);
  });

  it('answers unknown commands and foreground logs like upstream', async () => {
    const unknown = await t.execd(id, '/command/status/cmd_nope');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('INVALID_REQUEST_BODY');
    const fg = (await readFrames(await run({ command: 'true' })))[0]!.text!;
    expect((await t.execd(id, `/command/${fg}/logs`)).status).toBe(400);
  });

  it("keeps a session's environment and directory between runs, stderr merged into stdout", async () => {
    const created = await t.execd(id, '/session', json({ cwd: '/tmp/sess' }));
    expect(created.status).toBe(200);
    const sid = ((await created.json()) as { session_id: string }).session_id;
    const one = await readFrames(await t.execd(id, `/session/${sid}/run`, json({ command: 'export GREETING=hello; cd /etc; echo err >&2' })));
    expect(one[0]).toMatchObject({ type: 'init', text: sid });
    expect(textsOf(one, 'stdout')).toEqual(['err']);
    const two = await readFrames(await t.execd(id, `/session/${sid}/run`, json({ command: 'echo $GREETING; pwd' })));
    expect(textsOf(two, 'stdout')).toEqual(['hello', '/etc']);
    expect(two.at(-1)!.type).toBe('execution_complete');
    expect((await t.execd(id, `/session/${sid}`, { method: 'DELETE' })).status).toBe(200);
    expect((await t.execd(id, `/session/${sid}`, { method: 'DELETE' })).status).toBe(404);
    expect((await t.execd(id, `/session/${sid}/run`, json({ command: 'true' }))).status).toBe(404);
  });

  it('refuses commands on a paused sandbox at once with a JSON 409', async () => {
    const other = await t.createSandbox();
    expect((await t.api(`/v1/sandboxes/${other}/pause`, { method: 'POST' })).status).toBe(202);
    const res = await t.execd(other, '/command', json({ command: 'true' }));
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe('SANDBOX_PAUSED');
  });
});
