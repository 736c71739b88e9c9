import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { sandboxes } from '../../src/db/schema/index.js';
import { expireCommandsOnce } from '../../src/domain/execd/commands/expire.js';
import { interruptCommand } from '../../src/domain/execd/commands/interrupt.js';
import { startCommand } from '../../src/domain/execd/commands/run.js';
import type { ExecEvent } from '../../src/domain/execd/commands/types.js';
import { expectNotInExecs } from '../helpers/exec-secrets.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { framesOf, readFrames, textsOf } from '../helpers/exec-stream.js';
import { waitForValue } from '../helpers/wait.js';

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const closing = (frames: { type: string }[]) => frames.filter((f) => f.type === 'execution_complete' || f.type === 'error');

// The edges of POST /command and its companions that a client meets by mistake or by bad luck.
describe('execd command edges on a real engine', () => {
  let t: ExecdApp;
  let id: string;
  beforeAll(async () => {
    t = await buildExecdApp('postgres');
    id = await t.createSandbox();
  });
  afterAll(() => t.close());

  const run = (sandboxId: string, body: Record<string, unknown>) => t.execd(sandboxId, '/command', json(body));

  it("answers another sandbox's command id as unknown: status, logs and interrupt, nothing of it shown", async () => {
    const other = await t.createSandbox();
    const frames = await readFrames(await run(id, { command: 'echo private-output; sleep 30', background: true }));
    const cmdId = frames[0]!.text!;
    for (const [path, init] of [
      [`/command/status/${cmdId}`, {}],
      [`/command/${cmdId}/logs`, {}],
      [`/command?id=${cmdId}`, { method: 'DELETE' }],
    ] as const) {
      const res = await t.execd(other, path, init);
      expect(res.status, path).toBe(404);
      const text = await res.text();
      expect(text).not.toContain('private-output');
      expect(text).not.toContain('sleep 30');
    }
    expect((await (await t.execd(id, `/command/status/${cmdId}`)).json()).running).toBe(true);
    expect((await t.execd(id, `/command?id=${cmdId}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('answers every command call on an unknown sandbox with a JSON 404, no stream', async () => {
    for (const [path, init] of [
      ['/command', json({ command: 'true' })],
      ['/command', json({ command: 'true', background: true })],
      ['/command/status/cmd_x', {}],
      ['/command/cmd_x/logs', {}],
      ['/command?id=cmd_x', { method: 'DELETE' }],
      ['/session', json({})],
      ['/session/ses_x/run', json({ command: 'true' })],
    ] as const) {
      const res = await t.execd('sbx_unknown', path, init);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/application\/json/);
      expect((await res.json()).code, path).toBeTruthy();
    }
  });

  it('reads nothing past the end of a log, with the cursor where the client put it', async () => {
    const cmdId = (await readFrames(await run(id, { command: 'echo abc', background: true })))[0]!.text!;
    await waitForValue(async () => ((await (await t.execd(id, `/command/status/${cmdId}`)).json()).running ? undefined : true), 10_000);
    const res = await t.execd(id, `/command/${cmdId}/logs?cursor=1000`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(res.headers.get('execd-commands-tail-cursor')).toBe('1000');
    for (const bad of ['-1', 'x', '1.5']) expect((await t.execd(id, `/command/${cmdId}/logs?cursor=${bad}`)).status).toBe(400);
  });

  it('takes timeout 0 as none, refuses a negative or fractional one before anything runs', async () => {
    const frames = await readFrames(await run(id, { command: 'sleep 0.2; echo fine', timeout: 0 }));
    expect(textsOf(frames, 'stdout')).toEqual(['fine']);
    expect(frames.at(-1)!.type).toBe('execution_complete');
    for (const timeout of [-1, 1.5, '10']) {
      const res = await run(id, { command: 'touch /tmp/should-not-exist', timeout });
      expect(res.status, String(timeout)).toBe(400);
      expect((await res.json()).code).toBe('INVALID_REQUEST_BODY');
    }
    expect(textsOf(await readFrames(await run(id, { command: 'ls /tmp/should-not-exist 2>/dev/null | wc -l' })), 'stdout')).toEqual(['0']);
  });

  // The SDK sends round(timeoutSeconds * 1000): 30 days is 2,592,000,000 ms, past a 32-bit timer (Node fires
  // a longer setTimeout at once) but a fine deadline; upstream takes any int64.
  it.each([
    ['a foreground command', '/command', { command: 'echo long-timeout' }],
    ['a session run', '/session/{sid}/run', { command: 'echo long-timeout' }],
  ])('takes a timeout of 30 days for %s and does not fire it early', async (_, path, body) => {
    const sid = ((await (await t.execd(id, '/session', json({}))).json()) as { session_id: string }).session_id;
    const res = await t.execd(id, path.replace('{sid}', sid), json({ ...body, timeout: 30 * 24 * 3600 * 1000 }));
    expect(res.status).toBe(200);
    const frames = await readFrames(res);
    expect(textsOf(frames, 'stdout')).toEqual(['long-timeout']);
    expect(frames.at(-1)!.type).toBe('execution_complete');
    const huge = await run(id, { command: 'true', timeout: 2 ** 53 });
    expect(huge.status).toBe(400);
  });

  it("kills a background command's whole tree once its timeout has passed (the deadline is a row, not a timer)", async () => {
    const cmdId = (await readFrames(await run(id, { command: 'sleep 43 & sleep 44', background: true, timeout: 60_000 })))[0]!.text!;
    expect(await expireCommandsOnce(t.deps)).toBe(0);
    const later = new Date(Date.now() + 61_000);
    expect(await expireCommandsOnce({ ...t.deps, clock: { now: () => later } })).toBe(1);
    const status = await waitForValue(async () => {
      const s = await (await t.execd(id, `/command/status/${cmdId}`)).json();
      return s.running ? undefined : s;
    }, 10_000);
    expect(status).toMatchObject({ exit_code: -1, error: 'timeout' });
    const left = await waitForValue(async () => {
      const ps = textsOf(await readFrames(await run(id, { command: 'ps -o args' })), 'stdout').filter((l) => /^sleep 4[34]$/.test(l!));
      return ps.length === 0 ? ps : undefined;
    }, 10_000);
    expect(left).toEqual([]);
  });

  it('an interrupt sent the moment init arrives stops the command, however slow the database is to record it', async () => {
    // every UPDATE of a command record takes 300 ms more, as under load: init must still not beat the record
    const slowDb = new Proxy(t.deps.db, {
      get(target, prop, receiver) {
        if (prop !== 'update') return Reflect.get(target, prop, receiver) as unknown;
        return (table: Parameters<typeof target.update>[0]) => {
          const builder = target.update(table);
          const set = builder.set.bind(builder);
          return Object.assign(builder, {
            set: (values: Parameters<typeof set>[0]) => {
              const query = set(values);
              const where = query.where.bind(query);
              return Object.assign(query, {
                where: (...w: Parameters<typeof where>) => {
                  const q = where(...w);
                  const then = q.then.bind(q);
                  return Object.assign(q, { then: ((ok, ko) => sleep(300).then(() => then(ok, ko))) as typeof q.then });
                },
              });
            },
          });
        };
      },
    });
    const deps = { ...t.deps, db: slowDb as typeof t.deps.db };
    const prepared = await startCommand(deps, id, { command: 'sleep 3; echo survived', background: false, envs: {} });
    const events: ExecEvent[] = [];
    let interrupted: Promise<void> | undefined;
    await prepared.run({
      emit: async (e) => {
        events.push(e);
        if (e.type === 'init') interrupted = interruptCommand(t.deps, id, e.text);
      },
    });
    await interrupted;
    expect(events.filter((e) => e.type === 'stdout')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { evalue: '-1' } });
  });

  it("keeps a command's env values out of host argv, the exec inspect, error answers and berth's log", async () => {
    const secret = 'tok-9c2e-env-value-only';
    const res = await run(id, { command: 'echo "[$API_TOKEN]"; sleep 30', envs: { API_TOKEN: secret } });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('[tok-')) text += new TextDecoder().decode((await reader.read()).value);
    const [row] = await t.deps.db.select({ containerId: sandboxes.containerId }).from(sandboxes).where(eq(sandboxes.id, id));
    await expectNotInExecs(t.docker, row!.containerId!, secret);
    await reader.cancel();
    for (const envs of [{ 'BAD-NAME': secret }, { API_TOKEN: secret, OTHER: 1 }, { API_TOKEN: `${secret}\0` }]) {
      const bad = await run(id, { command: 'true', envs });
      expect(bad.status).toBe(400);
      expect(await bad.text()).not.toContain('9c2e');
    }
    expect(JSON.stringify(t.log.lines)).not.toContain('9c2e');
  });

  it('answers an interrupt that reached no process with a 500, and the command keeps its own exit', async () => {
    // as when berth runs outside the engine's PID namespace: every signal finds no process
    const deaf = new Proxy(t.deps.exec, { get: (target, prop, receiver) => (prop === 'signalGroup' ? () => false : Reflect.get(target, prop, receiver)) });
    const cmdId = (await readFrames(await run(id, { command: 'sleep 1; exit 5', background: true })))[0]!.text!;
    const err = await interruptCommand({ ...t.deps, exec: deaf }, id, cmdId).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'runtime', code: 'RUNTIME_ERROR' });
    const status = await waitForValue(async () => {
      const s = await (await t.execd(id, `/command/status/${cmdId}`)).json();
      return s.running ? undefined : s;
    }, 10_000);
    expect(status).toMatchObject({ exit_code: 5, error: 'exit status 5' });
  });

  it("runs as a uid alone with its primary and supplementary groups from the sandbox's own passwd and group", async () => {
    const setup = "echo 'app:x:2000:3000::/tmp:/bin/sh' >> /etc/passwd; echo 'app:x:3000:' >> /etc/group; echo 'extra:x:4000:app' >> /etc/group";
    expect((await readFrames(await run(id, { command: setup }))).at(-1)!.type).toBe('execution_complete');
    const frames = await readFrames(await run(id, { command: 'id -u; id -g; id -G', uid: 2000 }));
    expect(textsOf(frames, 'stdout')).toEqual(['2000', '3000', '3000 4000']);
  });

  it('passes unicode through and turns bytes that are not UTF-8 into U+FFFD, one event per line', async () => {
    const frames = await readFrames(await run(id, { command: "printf 'ü€😀\\n\\377\\376x\\n'" }));
    expect(textsOf(frames, 'stdout')).toEqual(['ü€😀', '\uFFFD\uFFFDx']);
  });

  it('runs 20 commands at once in one sandbox, each with its own output and exit code', async () => {
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) => run(id, { command: `echo n$i; exit $((i % 3))`, envs: { i: String(i) } }).then(readFrames)),
    );
    all.forEach((frames, i) => {
      expect(textsOf(frames, 'stdout')).toEqual([`n${i}`]);
      expect(closing(frames)).toHaveLength(1);
      expect(frames.at(-1)!.type).toBe(i % 3 === 0 ? 'execution_complete' : 'error');
    });
  });

  it('ends a stream with one error event when its sandbox is deleted under it', async () => {
    const victim = await t.createSandbox();
    const res = await run(victim, { command: 'echo up; sleep 120' });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"up"')) text += decoder.decode((await reader.read()).value);
    expect((await t.api(`/v1/sandboxes/${victim}`, { method: 'DELETE' })).status).toBe(204);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const frames = framesOf(text);
    expect(closing(frames)).toHaveLength(1);
    expect(frames.at(-1)!.type).toBe('error');
    // and the sandbox is gone for new commands at once: a JSON 4xx, no stream
    const after = await run(victim, { command: 'true' });
    expect(after.status).toBeGreaterThanOrEqual(400);
    expect(after.status).toBeLessThan(500);
    expect((await after.json()).code).toBeTruthy();
  });
});
