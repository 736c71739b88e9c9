/**
 * Reading dockerode errors. docker-modem rejects with an Error whose `statusCode` is the HTTP status and
 * whose `json.message` is the engine's own sentence; its `message` wraps that in "(HTTP code 409) ...".
 * Clients see the engine's sentence, so these helpers extract it; callers decide the DomainError.
 */
import { DomainError, invalid, runtimeFailure } from '../../domain/errors.js';
import type { CodeOf } from '../../domain/error-codes.js';

type ModemError = { statusCode?: unknown; json?: unknown; message?: unknown };

/**
 * What the engine says (in a 409, or a bare 500 while it stops or removes one) of a container that is not
 * running or is on its way out: "is not running: Removal In Progress", "cannot pause a stopped container".
 */
export const NOT_RUNNING_ANSWER = /already paused|not running|is restarting|stopped container|removal in progress|marked for removal|is dead/i;

export function dockerStatus(err: unknown): number | undefined {
  const s = (err as ModemError | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function isDockerNotFound(err: unknown): boolean {
  return dockerStatus(err) === 404;
}

/** The engine's message without docker-modem's "(HTTP code N) reason - " prefix. */
export function dockerMessage(err: unknown): string {
  const e = err as ModemError | null;
  const json = e?.json as { message?: unknown } | string | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

/** The engine's messages may name the container's root filesystem on the host (`.../overlay2/<id>/merged`): cut it to the in-sandbox path. */
export const withoutHostPaths = (message: string): string => message.replace(/(?<=^|[\s"'])[^\s"']*?\/(?:merged|rootfs)(?=\/|[\s"']|$)/g, '');

/**
 * The engine's refusal of a volume that does not fit the image's tree at its mountPath: the image has a
 * file there and the volume is a directory, a directory and the volume is a file, or a file on the way to
 * it. runc says so at start (`error mounting "<source>" to rootfs at "/data": ...: not a directory`); for a
 * named volume the engine already says it at create, when it copies the image's content into the new volume
 * (`lstat <container root>/bin/busybox/x: not a directory` below a file, `source /bin/busybox is not
 * directory` onto one), which is read as this only for a path that is
 * one of the binds' targets. The image and the mountPath are the request's, so it is a 400 that names the
 * mountPath; the source (a host path, or berth's own ossfs mount root) and the engine's host paths stay out.
 */
const MOUNT_REFUSED = /error mounting "(?:[^"\\]|\\.)*" to rootfs at "((?:[^"\\]|\\.)*)"[\s\S]*?not a directory/i;
const COPY_UP_REFUSED = /lstat ([^\s:]+): not a directory|source (\S+) is not directory/i;

export function volumeDoesNotFit(message: string, binds: readonly string[]): DomainError | null {
  let at = MOUNT_REFUSED.exec(message)?.[1];
  if (at === undefined) {
    const m = COPY_UP_REFUSED.exec(message);
    const path = m?.[1] ?? m?.[2];
    if (path !== undefined && binds.some((b) => b.split(':')[1] === withoutHostPaths(path))) at = path;
  }
  if (at === undefined) return null;
  return invalid(
    'VOLUME::INVALID_MOUNT_PATH',
    `A volume cannot be mounted at '${withoutHostPaths(at) || '/'}': the image has a file where the volume is a directory, ` +
      'a directory where it is a file, or a file on the way to it.',
  );
}

/**
 * A create or start the engine refused: a volume of the request that does not fit the image (400), else
 * SANDBOX_START_FAILED in the engine's words, without its host paths.
 */
export function startRefused(err: unknown, binds: readonly string[], what: string): DomainError {
  const message = dockerMessage(err);
  return volumeDoesNotFit(message, binds) ?? dockerFailure(err, 'DOCKER::SANDBOX_START_FAILED', `${what}: ${withoutHostPaths(message)}`);
}

/**
 * Removes every occurrence of each secret from a message. Registry errors do not echo passwords today,
 * but a proxy or a future engine might; the message goes to clients and logs verbatim (invariant 7).
 */
export function redact(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/**
 * The socket itself failed, not the engine's answer: the socket file is gone (ENOENT), nobody listens on it
 * (ECONNREFUSED), the daemon went away mid-call (ECONNRESET, EPIPE) or may not be opened (EACCES). An
 * answer from the engine carries a statusCode instead.
 */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH']);

export function isEngineUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown; syscall?: unknown } | null;
  if (!e || e.statusCode !== undefined || typeof e.code !== 'string' || !UNREACHABLE.has(e.code)) return false;
  // A missing or forbidden file is the socket's only while connecting to it.
  return (e.code !== 'ENOENT' && e.code !== 'EACCES') || e.syscall === 'connect';
}

export const engineUnreachable = (err: unknown) =>
  new DomainError('unavailable', 'DOCKER::ENGINE_UNREACHABLE', `The Docker engine is not reachable (${String((err as { code?: unknown }).code)}); try again.`);

/** runtimeFailure(code, message), unless the engine could not be reached at all: then 503 DOCKER::ENGINE_UNREACHABLE. */
export function dockerFailure(err: unknown, code: CodeOf<'runtime'>, message: string): DomainError {
  return isEngineUnreachable(err) ? engineUnreachable(err) : runtimeFailure(code, message);
}
