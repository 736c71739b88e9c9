import type { Readable } from 'node:stream';
import { conflict, DomainError, isDomainError } from '../errors.js';
import type { SandboxExec } from './port.js';

const MAX_OUTPUT = 16 * 1024;

/** The exec user of a file tool: root, as the archive API and upstream's execd act. */
export const ROOT = '0';

/** Where images that ship busybox keep it; a tool missing from PATH is tried as its applet. */
export const BUSYBOX = '/bin/busybox';

/**
 * Run one of the image's own tools (rm, mv, chmod, chown, mkdir) with an argument vector, no shell. The archive
 * API cannot delete, rename or chmod in place, so these operations need the tool in the image. When the engine
 * cannot start it (126/127 with the runtime's message on stdout, *measured*) and the image has `/bin/busybox`
 * (installed without the applet's link), the tool runs as `busybox <tool>`. Neither there: 400 NOT_SUPPORTED,
 * a clear refusal at once (the sandbox cannot do it; as a command in an image without a shell). A tool that
 * runs and refuses (exit != 0: a busy mount point, a read-only or /proc file, a permission) is refused by the
 * sandbox's own filesystem, as the request asked: 409 RUNTIME_ERROR with its stderr, never a 500 (upstream
 * answers 500 with the same code; the fuzz tier found these as client mistakes). Tools run as root (uid 0),
 * whatever the image's USER: upstream's execd runs as root, and so does the archive API that wrote the files
 * (an image with `USER 1000` could otherwise not delete, move or chmod a file its own upload made).
 */
export async function runTool(exec: SandboxExec, containerId: string, cmd: string[], what: string): Promise<void> {
  let ran = await attempt(exec, containerId, cmd);
  if (ran.missing && (await exec.stat(containerId, BUSYBOX))?.kind === 'file') ran = await attempt(exec, containerId, [BUSYBOX, ...cmd]);
  if (ran.exitCode === 0) return;
  if (ran.missing) throw new DomainError('invalid', 'NOT_SUPPORTED', `${what} needs ${cmd[0]} in the sandbox image, and it has none (nor ${BUSYBOX}).`);
  const err = (ran.stderr.trim() || ran.stdout.trim()).slice(0, 500);
  throw conflict('RUNTIME_ERROR', `${what} failed (${cmd[0]} exited ${ran.exitCode ?? 'unknown'}): ${err}`);
}

type Attempt = { exitCode: number | null; stdout: string; stderr: string; missing: boolean };

async function attempt(exec: SandboxExec, containerId: string, cmd: string[]): Promise<Attempt> {
  let handle;
  try {
    handle = await exec.start(containerId, { cmd, user: ROOT });
  } catch (e) {
    // the engine refused to start a program that is not there (adapters/docker/sandbox-exec.ts)
    if (isDomainError(e) && e.code === 'NOT_SUPPORTED') return { exitCode: null, stdout: '', stderr: e.message, missing: true };
    throw e;
  }
  const [stdout, stderr] = [collect(handle.stdout), collect(handle.stderr)];
  await handle.ended;
  handle.detach();
  const exitCode = await exitCodeOf(exec, handle.execId);
  const out = { exitCode, stdout: await stdout, stderr: await stderr };
  const runtimeRefused = /OCI runtime|executable file not found|no such file or directory/i.test(out.stdout);
  const noApplet = cmd[0] === BUSYBOX && /applet not found/i.test(out.stderr + out.stdout);
  return { ...out, missing: (exitCode === 126 || exitCode === 127) && (runtimeRefused || noApplet) };
}

/** The exec may still read as running for a moment after its output closed. */
async function exitCodeOf(exec: SandboxExec, execId: string): Promise<number | null> {
  for (let i = 0; i < 50; i++) {
    const status = await exec.inspect(execId);
    if (!status) return null;
    if (!status.running) return status.exitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

function collect(s: Readable): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.on('data', (c: Buffer) => {
      if (out.length < MAX_OUTPUT) out += c.toString('utf8');
    });
    s.once('end', () => resolve(out));
    s.once('close', () => resolve(out));
  });
}
