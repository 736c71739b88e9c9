import type { Deps } from '../../deps.js';
import { conflict, invalid } from '../../errors.js';
import { assertShell } from '../commands/prepare.js';
import { execTarget } from '../target.js';
import type { PtyMode, PtySession } from './session.js';
import { ptySessionsOf } from './sessions.js';

type PtyDeps = Pick<Deps, 'db' | 'config' | 'exec' | 'clock' | 'ids'>;

export type PtyStatus = { session_id: string; running: boolean; output_offset: number };

/**
 * POST /pty. Nothing runs yet (upstream starts the shell on the first WebSocket). A `cwd` must be absolute
 * (Docker's exec WorkingDir is); a missing one is created, as upstream's MkdirAll does, with the image's
 * `mkdir` given the path as one argv element. The shell is `/bin/sh`: an image without one is told so here,
 * at once, as a command would be, rather than by a WebSocket that closes on connect.
 */
export async function createPtySession(deps: PtyDeps, sandboxId: string, body: { cwd?: string; command?: string }): Promise<{ session_id: string }> {
  const target = await execTarget(deps, sandboxId);
  await assertShell(deps, target.containerId);
  const cwd = body.cwd?.trim() ? body.cwd : undefined;
  if (cwd !== undefined) await ensureDirectory(deps, target.containerId, cwd);
  const command = body.command?.trim() ? body.command : undefined;
  const session = ptySessionsOf(deps).create(sandboxId, target.containerId, { ...(cwd && { cwd }), ...(command && { command }) });
  return { session_id: session.id };
}

async function ensureDirectory(deps: Pick<Deps, 'exec'>, containerId: string, cwd: string): Promise<void> {
  if (!cwd.startsWith('/')) throw invalid('INVALID_REQUEST_BODY', `cwd must be an absolute path: ${cwd}`);
  const stat = await deps.exec.stat(containerId, cwd);
  if (stat?.kind === 'directory') return;
  if (stat) throw invalid('INVALID_REQUEST_BODY', `cwd is not a directory: ${cwd}`);
  const mk = await deps.exec.start(containerId, { cmd: ['mkdir', '-p', '--', cwd] });
  mk.stdout.resume();
  mk.stderr.resume();
  await mk.ended;
  const done = await deps.exec.stat(containerId, cwd);
  if (done?.kind !== 'directory') throw invalid('INVALID_REQUEST_BODY', `cwd does not exist and could not be created: ${cwd}`);
}

/** GET /pty/{id}: memory only, so a paused sandbox still answers. */
export async function ptyStatus(deps: PtyDeps, sandboxId: string, id: string): Promise<PtyStatus> {
  await execTarget(deps, sandboxId, { allowPaused: true });
  const s = ptySessionsOf(deps).get(sandboxId, id);
  return { session_id: s.id, running: s.running, output_offset: s.replay.total };
}

/** DELETE /pty/{id}: SIGKILL to the shell's process group (delivered on resume if the sandbox is paused). */
export async function deletePtySession(deps: PtyDeps, sandboxId: string, id: string): Promise<void> {
  await execTarget(deps, sandboxId, { allowPaused: true });
  ptySessionsOf(deps).delete(sandboxId, id);
}

/**
 * Everything a WebSocket connect must settle before the handshake is answered, so each failure is a plain
 * HTTP error: the sandbox runs (409 when paused), the session exists (404), nobody holds it unless this is a
 * takeover (409 ALREADY_CONNECTED), and the shell is started. The caller re-checks `canAttach` right before
 * upgrading, since another connect may have won while this one awaited.
 */
export async function preparePtyConnect(deps: PtyDeps, sandboxId: string, id: string, opts: { mode: PtyMode; takeover: boolean }): Promise<PtySession> {
  await execTarget(deps, sandboxId);
  const session = ptySessionsOf(deps).get(sandboxId, id);
  if (!session.canAttach(opts.takeover)) throw alreadyConnected(id);
  await session.ensureStarted(opts.mode);
  return session;
}

export const alreadyConnected = (id: string) => conflict('ALREADY_CONNECTED', `another client is already connected to pty session ${id}`);
