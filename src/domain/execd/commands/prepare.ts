import { sandboxPath } from '../files/paths.js';
import { ImageFacts } from '../image-facts.js';
import type { Deps } from '../../deps.js';
import { DomainError, invalid } from '../../errors.js';
import { execTarget, type ExecTarget } from '../target.js';
import type { CommandInput } from './types.js';

type D = Pick<Deps, 'db' | 'config' | 'exec'>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Everything checked before a stream starts: a failure here is a plain JSON 4xx (DESIGN.md execd §0 fact 6). */
export async function prepareCommand(deps: D, sandboxId: string, input: CommandInput): Promise<ExecTarget> {
  assertCommandInput(input);
  const target = await execTarget(deps, sandboxId);
  await assertShell(deps, target.containerId);
  if (input.cwd !== undefined) await assertDirectory(deps, target.containerId, input.cwd, 'cwd');
  return target;
}

export function assertCommandInput(input: Pick<CommandInput, 'command' | 'cwd' | 'uid' | 'gid' | 'envs'>): void {
  if (input.command.trim() === '') throw invalid('INVALID_REQUEST_BODY', 'command must not be empty.');
  if (input.command.includes('\0')) throw invalid('INVALID_REQUEST_BODY', 'command must not contain NUL bytes.');
  if (input.gid !== undefined && input.uid === undefined) throw invalid('INVALID_REQUEST_BODY', 'gid needs uid.');
  if (input.cwd !== undefined && (input.cwd === '' || input.cwd.includes('\0'))) throw invalid('INVALID_REQUEST_BODY', 'cwd must be a non-empty path.');
  // a name past NAME_MAX/PATH_MAX: 400 here, not the engine's bare 500 when cwd is stat'ed (fuzz seed 231546418)
  if (input.cwd !== undefined) sandboxPath(input.cwd, 'cwd');
  for (const [k, v] of Object.entries(input.envs)) {
    if (!ENV_NAME.test(k)) throw invalid('INVALID_REQUEST_BODY', `envs: '${k.slice(0, 64)}' is not a valid environment variable name.`);
    if (v.includes('\0')) throw invalid('INVALID_REQUEST_BODY', `envs: the value of ${k} contains a NUL byte.`);
  }
}

export async function assertDirectory(deps: Pick<Deps, 'exec'>, containerId: string, path: string, what: string): Promise<void> {
  const st = await deps.exec.stat(containerId, path);
  if (!st) throw invalid('INVALID_REQUEST_BODY', `${what} ${path} does not exist in the sandbox.`);
  if (st.kind !== 'directory') throw invalid('INVALID_REQUEST_BODY', `${what} ${path} is not a directory.`);
}

// Containers known to have /bin/sh. A client can still delete it through the files API: the engine's
// refusal to start the exec is then NOT_SUPPORTED as well (adapters/docker/sandbox-exec.ts).
const withShell = new ImageFacts<true>();

/**
 * Commands run as `/bin/sh -c`. Without it the engine would start nothing and report the OCI error as
 * output with exit 126; say so plainly instead. Files and metrics still work in such an image.
 */
export async function assertShell(deps: Pick<Deps, 'exec'>, containerId: string): Promise<void> {
  if (withShell.get(containerId)) return;
  const st = await deps.exec.stat(containerId, '/bin/sh');
  if (!st)
    throw new DomainError('invalid', 'NOT_SUPPORTED', "This sandbox's image has no /bin/sh: commands need a shell (files and metrics work without one).");
  withShell.set(containerId, true);
}

/** `uid[:gid]` for the engine, which resolves names and groups in the sandbox's own /etc files. */
export function userOf(input: Pick<CommandInput, 'uid' | 'gid'>): string | undefined {
  if (input.uid === undefined) return undefined;
  return input.gid === undefined ? String(input.uid) : `${input.uid}:${input.gid}`;
}
