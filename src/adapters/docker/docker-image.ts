import type Docker from 'dockerode';
import { invalid, type DomainError } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports.js';
import { dockerFailure, dockerMessage, dockerStatus, isDockerNotFound, redact } from './docker-errors.js';

export type RegistryAuth = { username: string; password: string };

type ProgressLine = { error?: string; errorDetail?: { message?: string } };

/**
 * The engine's sentences for a registry that refused the credentials (or their absence). The engine answers
 * these 500 with no code of their own: "unauthorized: authentication required" (distribution's UNAUTHORIZED),
 * "no basic auth credentials" (nothing sent to a registry that asks), Docker Hub's "incorrect username or
 * password". A refusal that also means "no such repository" (Hub's "pull access denied") arrives as a 404.
 */
const AUTH_REFUSED = /(^|: )unauthorized:|no basic auth credentials|authentication required|incorrect username or password/i;

/**
 * What the registry said, as the client's mistake or ours. The engine answers 404 only when a registry it
 * reached has no such repository or tag (moby's notFoundError: manifest unknown, name unknown, denied), so
 * that is the request's fault; so are refused credentials. Anything else (no route to the registry, a 5xx
 * from it, a broken layer) stays a server-side failure, and an unreachable engine is 503 (dockerFailure).
 */
function pullFailed(uri: string, detail: string, auth: RegistryAuth | undefined, err?: unknown): DomainError {
  const message = failedMessage(uri, detail, auth);
  if (err !== undefined && dockerStatus(err) === 404) return invalid('DOCKER::IMAGE_NOT_FOUND', message);
  if (AUTH_REFUSED.test(detail)) return invalid('DOCKER::IMAGE_PULL_UNAUTHORIZED', message);
  return dockerFailure(err, 'DOCKER::SANDBOX_IMAGE_PULL_FAILED', message);
}

/**
 * Pulls `uri` unless the engine already has it. A pull can fail twice over: the request itself (an
 * unreachable registry answers 500 at once, a missing image 404) or a line in the progress stream
 * ({"error": ...}) after a 200, so the stream is followed to its end and its lines checked. Auth goes in the
 * X-Registry-Auth header only. Nothing exists yet when this runs (create calls it before its first commit),
 * so a refused pull leaves nothing behind.
 */
export async function ensureImage(docker: Docker, log: Logger, uri: string, auth?: RegistryAuth): Promise<void> {
  try {
    await docker.getImage(uri).inspect();
    return;
  } catch (e) {
    // Only "not here" sends us to the registry. A 400 is a reference the engine will not parse (a rule the
    // create check does not know); any other answer is the engine's own trouble.
    if (dockerStatus(e) === 400) throw invalid('SANDBOX::INVALID_PARAMETER', `The engine refuses image.uri: ${dockerMessage(e).slice(0, 200)}.`);
    if (!isDockerNotFound(e)) throw dockerFailure(e, 'DOCKER::SANDBOX_IMAGE_PULL_FAILED', failedMessage(uri, dockerMessage(e), auth));
  }

  const started = Date.now();
  log.info({ image: uri, withAuth: auth !== undefined }, 'pulling image');
  let output: ProgressLine[];
  try {
    const opts = auth ? { authconfig: { username: auth.username, password: auth.password } } : {};
    const stream = await docker.pull(uri, opts);
    output = await new Promise<ProgressLine[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out as ProgressLine[]))),
    );
  } catch (e) {
    throw logged(log, uri, pullFailed(uri, dockerMessage(e), auth, e));
  }
  const bad = output.find((o) => o && (o.error || o.errorDetail));
  if (bad) throw logged(log, uri, pullFailed(uri, String(bad.errorDetail?.message ?? bad.error), auth));
  log.info({ image: uri, ms: Date.now() - started }, 'image pulled');
}

const failedMessage = (uri: string, detail: string, auth?: RegistryAuth) => redact(`Failed to pull image '${uri}': ${detail}`, [auth?.password]);

function logged(log: Logger, uri: string, failure: DomainError): DomainError {
  log.warn({ image: uri, code: failure.code, err: failure.message }, 'image pull failed');
  return failure;
}
