import type { Readable } from 'node:stream';
import { conflict, DomainError } from '../errors.js';
import type { SandboxExec } from './port.js';

const MAX_OUTPUT = 16 * 1024;

/**
 * Run one of the image's own tools (rm, mv, chmod, chown) with an argument vector, no shell. The archive API
 * cannot delete, rename or chmod in place, so these operations need the tool in the image. When the engine
 * cannot start it (126/127 with the runtime's message on stdout, *measured*), the answer is 501 NOT_SUPPORTED.
 * A tool that runs and refuses (exit != 0: a busy mount point, a read-only or /proc file, a permission) is
 * refused by the sandbox's own filesystem, as the request asked: 409 RUNTIME_ERROR with its stderr, never a
 * 500 (upstream answers 500 with the same code; the fuzz tier found these as client mistakes).
 */
export async function runTool(exec: SandboxExec, containerId: string, cmd: string[], what: string): Promise<void> {
  const handle = await exec.start(containerId, { cmd });
  const [stdout, stderr] = [collect(handle.stdout), collect(handle.stderr)];
  await handle.ended;
  handle.detach();
  const exitCode = await exitCodeOf(exec, handle.execId);
  if (exitCode === 0) return;
  const out = (await stdout).trim();
  if ((exitCode === 126 || exitCode === 127) && /OCI runtime|executable file not found|no such file or directory/i.test(out)) {
    throw new DomainError('not_implemented', 'NOT_SUPPORTED', `${what} needs ${cmd[0]} in the sandbox image, and it has none.`);
  }
  const err = ((await stderr).trim() || out).slice(0, 500);
  throw conflict('RUNTIME_ERROR', `${what} failed (${cmd[0]} exited ${exitCode ?? 'unknown'}): ${err}`);
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
