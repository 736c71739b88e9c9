import type { Deps } from '../deps.js';
import { DomainError, runtimeFailure } from '../errors.js';

/**
 * Run one of the image's own tools (mkdir, rm, mv, chmod) with an argv, never a shell string, and wait for
 * it. A missing tool (exit 126/127, the engine's OCI error on stdout) is NOT_SUPPORTED; any other failure
 * carries the tool's stderr.
 */
export async function runTool(deps: Pick<Deps, 'exec'>, containerId: string, argv: string[]): Promise<void> {
  const handle = await deps.exec.start(containerId, { cmd: argv });
  const out: Buffer[] = [];
  handle.stdout.on('data', (c: Buffer) => out.push(c));
  handle.stderr.on('data', (c: Buffer) => out.push(c));
  await handle.ended;
  const status = await deps.exec.inspect(handle.execId);
  const code = status?.exitCode ?? null;
  if (code === 0) return;
  const text = Buffer.concat(out).toString('utf8').trim().slice(0, 500);
  if (code === 126 || code === 127 || /OCI runtime exec failed|executable file not found/.test(text))
    throw new DomainError('invalid', 'NOT_SUPPORTED', `This sandbox's image has no usable ${argv[0]}: ${text || `exit ${code}`}`);
  throw runtimeFailure('RUNTIME_ERROR', `${argv[0]} failed (exit ${code}): ${text}`);
}
