import type Docker from 'dockerode';
import { conflict, DomainError, notFound, runtimeFailure } from '../../domain/errors.js';
import { SymlinkLoop } from '../../domain/execd/port.js';
import { dockerMessage, dockerStatus, NOT_RUNNING_ANSWER, withoutHostPaths } from './docker-errors.js';

/** An engine call about one container that takes longer than this is not going to answer. */
export const ENGINE_ANSWER_MS = 10_000;

/**
 * What an archive call's failure means. A 5xx is often a container on its way out: while it is being removed
 * the engine answers a HEAD with a bare 500 and a GET with "RWLayer ... is unexpectedly nil". Asking the
 * engine about the container tells a sandbox that went away (404, or 409 as for any sandbox not Running)
 * from a real engine fault (500).
 */
export async function archiveFailure(docker: Docker, containerId: string, status: number | undefined, body: string): Promise<DomainError> {
  if (status !== undefined && status >= 500) {
    const leaving = await leavingContainer(docker, containerId);
    if (leaving) return leaving;
  }
  let message = body.trim();
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? message;
  } catch {
    // plain text from the engine
  }
  return runtimeFailure('RUNTIME_ERROR', `Docker archive call failed (${status}): ${withoutHostPaths(message).slice(0, 300)}`);
}

/**
 * A path through a symlink loop (`l -> l`, `a -> b -> a`, at the end or in a parent). The engine answers
 * such an archive call with a 500 whose message names the container's root on the host
 * (`evalSymlinksInScope: too many links in /var/lib/docker/overlay2/<id>/merged/tmp/l`); it is the request's
 * path that cannot be resolved, as ELOOP would say inside the sandbox: a 400, and the host path stays out.
 */
export function symlinkLoop(path: string, body: string): DomainError | null {
  return /too many links/i.test(body) ? new SymlinkLoop(path) : null;
}

/**
 * What an exec create or start the engine refused means: a paused container answers 409, a gone one 404, one
 * being removed a 500 that says so; anything else is asked of the container itself, as for archive calls.
 */
export async function execFailure(docker: Docker, e: unknown, containerId: string): Promise<DomainError> {
  const failure = execAnswer(e, containerId);
  if (failure.kind !== 'runtime') return failure;
  return (await leavingContainer(docker, containerId)) ?? failure;
}

/** The container's own state, when it is not plainly running: gone (404) or not running (409); else null. */
export async function leavingContainer(docker: Docker, containerId: string, answerMs = ENGINE_ANSWER_MS): Promise<DomainError | null> {
  try {
    const { State } = await docker.getContainer(containerId).inspect({ abortSignal: AbortSignal.timeout(answerMs) });
    if (State.Running && !State.Dead && State.Status !== 'removing') return null;
    return conflict('SANDBOX_NOT_RUNNING', `The sandbox's container ${containerId.slice(0, 12)} is ${State.Status}, not running.`);
  } catch (e) {
    return dockerStatus(e) === 404 ? goneContainer(containerId) : null;
  }
}

const goneContainer = (containerId: string) => notFound('DOCKER::SANDBOX_NOT_FOUND', `The sandbox's container ${containerId.slice(0, 12)} is gone.`);

function execAnswer(e: unknown, containerId: string): DomainError {
  const status = dockerStatus(e);
  const msg = dockerMessage(e);
  if (status === 409 && /paused/i.test(msg)) return conflict('SANDBOX_PAUSED', 'The sandbox is paused; resume it before running commands.');
  if (status === 409 || NOT_RUNNING_ANSWER.test(msg)) return conflict('SANDBOX_NOT_RUNNING', 'The sandbox is not running.');
  if (status === 404) return goneContainer(containerId);
  // The program is not in the container (a client deleted /bin/sh through the files API after the shell
  // check passed): the sandbox cannot do this any more, as with an image that never had a shell.
  if (/executable file not found|no such file or directory/i.test(msg))
    return new DomainError('invalid', 'NOT_SUPPORTED', `The sandbox cannot start the command any more: ${msg.slice(0, 300)}`);
  return runtimeFailure('RUNTIME_ERROR', `Failed to start the command: ${msg}`);
}
