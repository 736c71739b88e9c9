import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPT_GRACE_MS } from '../../src/domain/execd/commands/interrupt.js';
import { TEST_IMAGE } from '../helpers/app.js';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { readFrames } from '../helpers/exec-stream.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { waitForValue } from '../helpers/wait.js';
import { execIn } from '../fixtures/docker-exec.js';

// An interrupt is SIGTERM now and SIGKILL after the grace if the command is still running. The SIGKILL is
// kept as a row, not only as a timer: a berth process SIGKILLed inside the grace must not leave a command
// that ignores SIGTERM running for good. The next process on the host sends it.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let db: TestDb;
let server: ServerProc;
let instanceId = '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  db = await createPostgresTestDb({ migrate: false });
  server = await startServer({ databaseUrl: db.url });
  instanceId = server.instanceId;
});
afterAll(async () => {
  await server?.kill();
  await removeInstanceContainers(instanceId);
  await db?.drop();
});

describe('an interrupt whose server dies within the grace', () => {
  it('still ends with SIGKILL, sent by the next server on the host', async () => {
    const res = await server.api('/v1/sandboxes', {
      method: 'POST',
      body: JSON.stringify({ image: { uri: TEST_IMAGE }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {}, timeout: 600 }),
    });
    const sandboxId = ((await res.json()) as { id: string }).id;
    const execd = (path: string, init?: RequestInit) => server.api(`/v1/sandboxes/${sandboxId}/proxy/44772${path}`, init);
    await waitForValue(async () => ((await execd('/ping')).status === 200 ? true : undefined));

    // A command that ignores SIGTERM, and so do its children (an ignored signal stays ignored across exec).
    const started = await execd('/command', {
      method: 'POST',
      body: JSON.stringify({ command: "trap '' TERM; while :; do sleep 1; done", background: true }),
    });
    const cmdId = (await readFrames(started))[0]!.text!;
    const status = async () => (await (await execd(`/command/status/${cmdId}`)).json()) as { running: boolean; exit_code?: number; error?: string };
    expect((await status()).running).toBe(true);

    expect((await execd(`/command?id=${cmdId}`, { method: 'DELETE' })).status).toBe(200);
    await server.kill('SIGKILL');

    // Past the grace, with no server: the timer died with its process, and SIGTERM did nothing.
    await sleep(INTERRUPT_GRACE_MS + 1000);
    const [container] = await containersOf(instanceId);
    const ps = await execIn(docker.getContainer(container!.Id), ['ps', '-o', 'args']);
    expect(ps.out).toContain("trap '' TERM");

    server = await startServer({ databaseUrl: db.url });
    const ended = await waitForValue(async () => {
      const s = await status();
      return s.running ? undefined : s;
    }, 15_000);
    // killed by berth: -1 and the interrupt's reason, as upstream reports an interrupted command
    expect(ended).toMatchObject({ running: false, exit_code: -1, error: 'signal: terminated' });
    expect((await execIn(docker.getContainer(container!.Id), ['ps', '-o', 'args'])).out).not.toContain("trap '' TERM");
  });
});
