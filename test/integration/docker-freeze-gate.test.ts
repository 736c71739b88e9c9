import { existsSync, writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { DockerSandboxExec } from '../../src/adapters/docker/sandbox-exec.js';
import { isDomainError } from '../../src/domain/errors.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { TEST_IMAGE } from '../helpers/app.js';

// Docker 20.10 with runc 1.1 wedges a container for good when it is frozen while an exec is starting in it
// (inspect, unpause and rm of it hang; so does the engine's stats collector). Measured with raw dockerode:
// three exec loops against a pause/unpause loop wedged a container within 20 s. Through berth's adapters,
// which keep the two apart (adapters/docker/freeze-gate.ts), the same loops run to the end. Should the test
// wedge the container, it thaws the container's freezer cgroup itself, so the engine stays usable for the
// rest of the suite, and fails.

const SOCKET = '/var/run/docker.sock';
// long enough that, without the gate, the wedge is all but certain (it came after 6 s in one run, not in 12 s in two)
const RUN_MS = 25_000;
const HANG_MS = 8_000;

const hung = (what: string) => new Error(`${what} hung for ${HANG_MS} ms`);
const watchdog = <T>(p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(hung(what)), HANG_MS).unref())]);

/** Thaw the container's cgroup by hand (v1 freezer or v2 cgroup.freeze), the only way out of the wedge. */
function thaw(containerId: string): void {
  const places: Array<[string, string]> = [
    [`/sys/fs/cgroup/freezer/docker/${containerId}/freezer.state`, 'THAWED'],
    [`/sys/fs/cgroup/system.slice/docker-${containerId}.scope/cgroup.freeze`, '0'],
    [`/sys/fs/cgroup/docker/${containerId}/cgroup.freeze`, '0'],
  ];
  for (const [file, value] of places) if (existsSync(file)) writeFileSync(file, value);
}

describe('exec starts and pauses of one container (real engine)', () => {
  const docker = new Docker({ socketPath: SOCKET });
  const runtime = new DockerodeRuntime(docker, new RecordingLogger());
  const exec = new DockerSandboxExec(docker, SOCKET);
  let containerId: string;

  beforeAll(async () => {
    const c = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['tail', '-f', '/dev/null'], Labels: { 'berth.test': 'freeze-gate' } });
    await c.start();
    containerId = c.id;
  });
  afterAll(async () => {
    if (containerId)
      await docker
        .getContainer(containerId)
        .remove({ force: true })
        .catch(() => {});
  });

  it('never wedge the container: every exec and every pause returns, and the container still answers', async () => {
    const until = Date.now() + RUN_MS;
    const problems: string[] = [];
    const counts = { execs: 0, refusedPaused: 0, pauses: 0, refusedToggles: 0 };
    const refusedBecausePaused = (e: unknown) => isDomainError(e) && (e.code === 'SANDBOX_PAUSED' || e.code === 'SANDBOX_NOT_RUNNING');
    const execLoop = async () => {
      while (Date.now() < until && problems.length === 0) {
        try {
          await watchdog(
            (async () => {
              const h = await exec.start(containerId, { cmd: ['true'] });
              h.stdout.resume();
              h.stderr.resume();
              await h.ended;
            })(),
            'exec',
          );
          counts.execs++;
        } catch (e) {
          if (refusedBecausePaused(e)) counts.refusedPaused++;
          else problems.push(String(e));
        }
      }
    };
    const pauseLoop = async () => {
      while (Date.now() < until && problems.length === 0) {
        try {
          await watchdog(runtime.pause(containerId), 'pause');
          await new Promise((r) => setTimeout(r, 5));
          await watchdog(runtime.unpause(containerId), 'unpause');
          counts.pauses++;
        } catch (e) {
          // Toggling every few ms outruns the engine's own bookkeeping of pause events ("is not paused" while
          // containerd has it paused): a refusal, not a hang, and not what this test is about.
          if (isDomainError(e) && e.kind === 'conflict') counts.refusedToggles++;
          else problems.push(String(e));
        }
      }
    };
    await Promise.all([execLoop(), execLoop(), execLoop(), pauseLoop()]);
    if (problems.length > 0) thaw(containerId);
    console.log('freeze gate:', JSON.stringify(counts), problems.length ? `problems: ${problems.join('; ')}` : '');
    expect(problems).toEqual([]);
    expect(counts.execs).toBeGreaterThan(20);
    expect(counts.pauses).toBeGreaterThan(20);
    const state = await watchdog(docker.getContainer(containerId).inspect(), 'inspect');
    expect(state.State.Running).toBe(true);
  });
});
