import type Docker from 'dockerode';
import type { Logger } from '../../domain/ports.js';
import { dockerFailure, dockerMessage, isDockerNotFound, redact } from './docker-errors.js';

export type RegistryAuth = { username: string; password: string };

type ProgressLine = { error?: string; errorDetail?: { message?: string } };

function pullFailed(uri: string, detail: string, auth?: RegistryAuth, err?: unknown) {
  return dockerFailure(err, 'DOCKER::SANDBOX_IMAGE_PULL_FAILED', redact(`Failed to pull image '${uri}': ${detail}`, [auth?.password]));
}

/**
 * Pulls `uri` unless the engine already has it. A pull can fail twice over: the request itself (an
 * unreachable registry answers 500 at once) or a line in the progress stream ({"error": ...}) after a 200,
 * so the stream is followed to its end and its lines checked. Auth goes in the X-Registry-Auth header only.
 */
export async function ensureImage(docker: Docker, log: Logger, uri: string, auth?: RegistryAuth): Promise<void> {
  try {
    await docker.getImage(uri).inspect();
    return;
  } catch (e) {
    if (!isDockerNotFound(e)) throw pullFailed(uri, dockerMessage(e), auth, e);
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
    const failure = pullFailed(uri, dockerMessage(e), auth, e);
    log.warn({ image: uri, err: failure.message }, 'image pull failed');
    throw failure;
  }
  const bad = output.find((o) => o && (o.error || o.errorDetail));
  if (bad) {
    const failure = pullFailed(uri, String(bad.errorDetail?.message ?? bad.error), auth);
    log.warn({ image: uri, err: failure.message }, 'image pull failed');
    throw failure;
  }
  log.info({ image: uri, ms: Date.now() - started }, 'image pulled');
}
