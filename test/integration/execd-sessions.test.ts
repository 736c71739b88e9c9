import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execdSessions, sandboxes } from '../../src/db/schema/index.js';
import { escalateInterruptsOnce } from '../../src/domain/execd/commands/escalate.js';
import { deleteSession } from '../../src/domain/execd/sessions.js';
import { expectNotInExecs } from '../helpers/exec-secrets.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { readFrames, textsOf } from '../helpers/exec-stream.js';
import { waitForValue } from '../helpers/wait.js';

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

// A session's saved state is whatever its runs exported, secrets included: it must reach the next run without
// showing in the host's process list or in the engine's record of the exec, and a large one must still run.
describe('execd sessions: the saved environment on a real engine', () => {
  let t: ExecdApp;
  let id: string;
  let containerId: string;
  beforeAll(async () => {
    t = await buildExecdApp('postgres');
    id = await t.createSandbox();
    const [row] = await t.deps.db.select({ containerId: sandboxes.containerId }).from(sandboxes).where(eq(sandboxes.id, id));
    containerId = row!.containerId!;
  });
  afterAll(() => t.close());

  const newSession = async () => ((await (await t.execd(id, '/session', json({}))).json()) as { session_id: string }).session_id;
  const runIn = (sid: string, command: string) => t.execd(id, `/session/${sid}/run`, json({ command }));

  it('keeps an exported secret out of the host argv and the exec inspect of later runs', async () => {
    const secret = 'tok-5f1d3a9e-never-in-argv';
    const sid = await newSession();
    await readFrames(await runIn(sid, `export API_TOKEN=${secret}`));

    const res = await runIn(sid, 'echo "[$API_TOKEN]"; sleep 30');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('[tok-')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`[${secret}]`);

    await expectNotInExecs(t.docker, containerId, secret);
    await reader.cancel();
  });

  it('keeps the saved state sealed in the database, and still runs a session saved as text before sealing', async () => {
    const secret = 'tok-3c0e7b52-sealed-at-rest';
    const sid = await newSession();
    await readFrames(await runIn(sid, `export API_TOKEN=${secret}; cd /tmp`));
    const [row] = await t.deps.db.select({ env: execdSessions.env, cwd: execdSessions.cwd }).from(execdSessions).where(eq(execdSessions.id, sid));
    expect(row!.cwd).toBe('/tmp');
    expect(row!.env).not.toContain(secret);
    expect(row!.env).not.toContain('API_TOKEN');
    expect(row!.env.length).toBeGreaterThan(secret.length);
    expect(textsOf(await readFrames(await runIn(sid, 'echo "[$API_TOKEN]"')), 'stdout')).toEqual([`[${secret}]`]);

    // a row written by a berth from before sealing: `export -p` text, read as it is
    const legacy = await newSession();
    await t.deps.db.update(execdSessions).set({ env: "export OLD_VAR='from-text'\n", cwd: '/tmp' }).where(eq(execdSessions.id, legacy));
    expect(textsOf(await readFrames(await runIn(legacy, 'echo "$OLD_VAR $(pwd)"')), 'stdout')).toEqual(['from-text /tmp']);
  });

  it('runs on after a run exported 400 KB (more than one argument may hold) and keeps it', async () => {
    const sid = await newSession();
    const one = await readFrames(await runIn(sid, "export BIG=$(head -c 400000 /dev/zero | tr '\\0' b); export SMALL=kept"));
    expect(one.at(-1)!.type).toBe('execution_complete');
    const two = await readFrames(await runIn(sid, 'echo ${#BIG} $SMALL; case "$BIG" in *[!b]*) echo mixed;; esac'));
    expect(textsOf(two, 'stdout')).toEqual(['400000 kept']);
    expect(two.at(-1)!.type).toBe('execution_complete');
  });

  // Upstream: DELETE /session/{id}, and DELETE /command?id= with the session id (the id a run's init carries,
  // so the one an SDK user holds), SIGKILL the running run's process group and close the session.
  it.each([
    ['DELETE /session/{id}', (sid: string) => `/session/${sid}`],
    ['DELETE /command?id=<session id>', (sid: string) => `/command?id=${sid}`],
  ])('%s kills the running run, children too, and closes the session', async (_, path) => {
    const sid = await newSession();
    const res = await runIn(sid, 'sleep 51 & echo up; sleep 52');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"up"')) text += decoder.decode((await reader.read()).value);
    const del = await t.execd(id, path(sid), { method: 'DELETE' });
    expect(del.status).toBe(200);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toMatch(/"evalue":"-1"/);
    const ps = await readFrames(await t.execd(id, '/command', json({ command: 'ps -o args' })));
    expect(textsOf(ps, 'stdout').filter((l) => /^sleep 5[12]$/.test(l!))).toEqual([]);
    expect((await runIn(sid, 'true')).status).toBe(404);
  });

  // The run's pid and engine are its sandbox's host's: a berth on another host that closes the session must
  // not signal that pid on its own machine; the owner's interrupt-kill loop sends the SIGKILL it recorded.
  it("closed from another host: that host signals nothing, and the sandbox's host kills the run", async () => {
    const sid = await newSession();
    const res = await runIn(sid, 'echo up; sleep 53');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"up"')) text += decoder.decode((await reader.read()).value);
    const elsewhere = { ...t.deps, config: { ...t.deps.config, hostId: 'another-berth-host' } };
    await deleteSession(elsewhere, id, sid);

    const sleeping = async () =>
      textsOf(await readFrames(await t.execd(id, '/command', json({ command: 'ps -o args' }))), 'stdout').filter((l) => l === 'sleep 53');
    expect(await sleeping()).toEqual(['sleep 53']);
    expect(await escalateInterruptsOnce(elsewhere)).toBe(0); // not its sandbox
    expect(await escalateInterruptsOnce(t.deps)).toBe(1);
    // gone long before the 53 s it would sleep
    await waitForValue(async () => ((await sleeping()).length === 0 ? true : undefined), 10_000);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toMatch(/"evalue":"-1"/);
    expect(await escalateInterruptsOnce(t.deps)).toBe(0); // sent once
  });

  it('keeps the state a run started with when the run leaves more than a later run could start with', async () => {
    const sid = await newSession();
    await readFrames(await runIn(sid, 'export BEFORE=yes'));
    const huge = await readFrames(await runIn(sid, "export HUGE=$(head -c 3000000 /dev/zero | tr '\\0' h); echo set"));
    expect(textsOf(huge, 'stdout')).toEqual(['set']);
    const after = await readFrames(await runIn(sid, 'echo "${#HUGE} $BEFORE"'));
    expect(textsOf(after, 'stdout')).toEqual(['0 yes']);
    expect(after.at(-1)!.type).toBe('execution_complete');
  });
});
