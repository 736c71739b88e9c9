import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneCommandsOnce } from '../../src/domain/execd/commands/prune.js';
import { getCommandRow } from '../../src/domain/execd/commands/rows.js';
import { DB_KINDS } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { readFrames, textsOf } from '../helpers/exec-stream.js';
import { waitForValue } from '../helpers/wait.js';

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const BOUND = 4096;
const CHUNK = 1024;
const RETENTION_S = 3600;

type Status = { running: boolean; exit_code?: number; error?: string };

// Background commands' bounded logs and their retention, on the real engine (busybox ash in berth-base).
describe.each(DB_KINDS)('execd background commands: bound and retention (%s)', (kind) => {
  let t: ExecdApp;
  let id: string;
  beforeAll(async () => {
    t = await buildExecdApp(kind, {
      BERTH_EXECD_MAX_BACKGROUND_LOG_BYTES: String(BOUND),
      BERTH_EXECD_MAX_LOG_CHUNK_BYTES: String(CHUNK),
      BERTH_EXECD_COMMAND_RETENTION_SECONDS: String(RETENTION_S),
    });
    id = await t.createSandbox();
  });
  afterAll(() => t.close());

  const startBackground = async (command: string) => {
    const frames = await readFrames(await t.execd(id, '/command', json({ command, background: true })));
    expect(frames.map((f) => f.type)).toEqual(['init', 'execution_complete']);
    return frames[0]!.text!;
  };
  const finished = (cmdId: string, ms = 15_000) =>
    waitForValue(async () => {
      const s = (await (await t.execd(id, `/command/status/${cmdId}`)).json()) as Status;
      return s.running ? undefined : s;
    }, ms);
  const foreground = async (command: string) => textsOf(await readFrames(await t.execd(id, '/command', json({ command }))), 'stdout');
  const readAll = async (cmdId: string) => {
    let cursor = 0;
    let text = '';
    let truncated = false;
    for (let i = 0; i < 100; i++) {
      const res = await t.execd(id, `/command/${cmdId}/logs?cursor=${cursor}`);
      expect(res.status).toBe(200);
      const part = await res.text();
      truncated = res.headers.get('execd-commands-log-truncated') === 'true';
      const next = Number(res.headers.get('execd-commands-tail-cursor'));
      expect(next).toBe(cursor + Buffer.byteLength(part));
      if (part === '') return { text, cursor, truncated };
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(CHUNK);
      text += part;
      cursor = next;
    }
    throw new Error('the log never ended');
  };

  it('cuts output past the bound inside the sandbox; the command runs on to its own exit code', async () => {
    // ~3.9 MB of output (960x the bound), stderr too, then a file written after it and exit 6
    const started = Date.now();
    const cmdId = await startBackground(
      'i=0; while [ $i -lt 300 ]; do seq 1 2000; i=$((i+1)); done; echo to-stderr >&2; echo done > /tmp/bg-after-bound; exit 6',
    );
    const status = await finished(cmdId, 60_000);
    expect(status).toMatchObject({ exit_code: 6, error: 'exit status 6' });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await foreground('cat /tmp/bg-after-bound')).toEqual(['done']);

    const log = await readAll(cmdId);
    expect(Buffer.byteLength(log.text)).toBe(BOUND);
    expect(log.cursor).toBe(BOUND);
    expect(log.text.startsWith('1\n2\n3\n')).toBe(true);
    expect(log.text).not.toContain('to-stderr');
    expect(log.truncated).toBe(true);
    // the file in the sandbox holds the bound, not the output; the wrapper's FIFO is gone
    expect(await foreground(`wc -c < /tmp/.berth-cmd-${cmdId}.log; ls /tmp/.berth-cmd-${cmdId}.log.fifo 2>/dev/null | wc -l`)).toEqual([String(BOUND), '0']);
  });

  it('keeps a log under the bound whole, combined stdout and stderr, and does not call it truncated', async () => {
    const cmdId = await startBackground('echo out; echo err >&2; exit 0');
    expect(await finished(cmdId)).toMatchObject({ exit_code: 0 });
    const res = await t.execd(id, `/command/${cmdId}/logs`);
    expect(await res.text()).toBe('out\nerr\n');
    expect(res.headers.get('execd-commands-log-truncated')).toBeNull();
  });

  it('reports 127 for a missing program and ends when the command does, not when a child it left keeps writing', async () => {
    const missing = await startBackground('no-such-program-here');
    expect(await finished(missing)).toMatchObject({ exit_code: 127 });
    expect(await (await t.execd(id, `/command/${missing}/logs`)).text()).toMatch(/no-such-program-here/);

    const started = Date.now();
    const daemon = await startBackground('(sleep 3; echo late) & echo now');
    expect(await finished(daemon)).toMatchObject({ exit_code: 0 });
    expect(Date.now() - started).toBeLessThan(3000);
    const late = await waitForValue(async () => {
      const text = await (await t.execd(id, `/command/${daemon}/logs`)).text();
      return text.includes('late') ? text : undefined;
    }, 10_000);
    expect(late).toBe('now\nlate\n');
  });

  it("an interrupt takes the command's whole tree, the log reader with it", async () => {
    const cmdId = await startBackground('echo up; sleep 41 & sleep 42; echo never');
    await waitForValue(async () => ((await (await t.execd(id, `/command/${cmdId}/logs`)).text()) === 'up\n' ? true : undefined), 10_000, 50);
    expect((await t.execd(id, `/command?id=${cmdId}`, { method: 'DELETE' })).status).toBe(200);
    expect(await finished(cmdId)).toMatchObject({ exit_code: -1 });
    // nothing of it is left: the sleeps, and the cat that read its output
    const left = await waitForValue(async () => {
      // busybox ps shows a zombie (dead, unreaped: the sandbox's init here is tail) as [name]
      const ps = (await foreground('ps -o args')).filter((l) => /^(sleep 4[12]|cat)$/.test(l!));
      return ps.length === 0 ? ps : undefined;
    }, 10_000);
    expect(left).toEqual([]);
    expect(await (await t.execd(id, `/command/${cmdId}/logs`)).text()).toBe('up\n');
  });

  it('removes a finished command and its log file once the retention has passed, and not before', async () => {
    const cmdId = await startBackground('echo keep-me');
    await finished(cmdId);
    const logFile = `/tmp/.berth-cmd-${cmdId}.log`;
    const exists = async () => (await foreground(`[ -e ${logFile} ] && echo yes || echo no`))[0];

    await pruneCommandsOnce(t.deps);
    expect((await t.execd(id, `/command/status/${cmdId}`)).status).toBe(200);
    expect(await exists()).toBe('yes');

    const later = new Date(Date.now() + (RETENTION_S + 60) * 1000);
    expect(await pruneCommandsOnce({ ...t.deps, clock: { now: () => later } })).toBeGreaterThanOrEqual(1);
    expect(await exists()).toBe('no');
    const gone = await t.execd(id, `/command/status/${cmdId}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).code).toBe('INVALID_REQUEST_BODY');
  });

  it('settles a background command nobody polls, and drops the records of a deleted sandbox', async () => {
    const other = await t.createSandbox();
    const res = await t.execd(other, '/command', json({ command: 'echo quiet', background: true }));
    const cmdId = (await readFrames(res))[0]!.text!;
    const status = () => t.execd(other, `/command/status/${cmdId}`);
    // the pass settles it against the engine (nobody asked for its status)
    await waitForValue(async () => {
      await pruneCommandsOnce(t.deps);
      return (await getCommandRow(t.deps, cmdId))?.finishedAt ?? undefined;
    }, 10_000);
    expect((await status()).status).toBe(200);
    expect((await t.api(`/v1/sandboxes/${other}`, { method: 'DELETE' })).status).toBe(204);
    // the sandbox's row goes once its container has; then the pass drops the command's record
    await waitForValue(async () => {
      await pruneCommandsOnce(t.deps);
      return (await getCommandRow(t.deps, cmdId)) ? undefined : true;
    }, 15_000);
    expect(await getCommandRow(t.deps, cmdId)).toBeUndefined();
  });
});
