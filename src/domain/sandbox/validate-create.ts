import type { Config } from '../../config.js';
import { invalid } from '../errors.js';
import { restoreImage, RESTORE_ENTRYPOINT } from '../snapshots/rules.js';
import type { VolumeRequest } from '../volumes/port.js';
import { assertValidMetadata } from './metadata.js';

/** The create request after schema parsing (src/http/routes/sandboxes.schemas.ts). */
export type CreateSandboxInput = {
  image?: { uri: string; auth?: { username: string; password: string } };
  snapshotId?: string;
  entrypoint?: string[];
  timeout?: number | null;
  resourceLimits?: Record<string, string>;
  env?: Record<string, string | null>;
  metadata?: Record<string, string>;
  extensions?: Record<string, string>;
  platform?: { os: string; arch: string };
  secureAccess?: boolean;
  networkPolicy?: unknown;
  credentialProxy?: { enabled?: boolean };
  volumes?: VolumeRequest[];
};

export type ValidCreate = {
  /** what the container runs: the image uri, or the snapshot's image tag for a restore */
  image: string;
  /** set for a restore */
  snapshotId: string | null;
  auth?: { username: string; password: string };
  entrypoint: string[];
  timeoutSeconds: number | null;
  resourceLimits: Record<string, string>;
  env: Record<string, string>;
  metadata: Record<string, string>;
  extensions: Record<string, string>;
  platform: { os: string; arch: string } | null;
  volumes: VolumeRequest[];
};

const RENEW_EXTEND = 'access.renew.extend.seconds';

// Docker's image reference grammar: [registry[:port]/]path[:tag][@sha256:digest]. Checked here so a typo is
// a 400 naming the field, not a pull failure (500) after a round trip to a registry.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_PART = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const IMAGE_REF = new RegExp(
  `^(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::\\d+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
// The engine also refuses a repository past 255 characters once it is normalized (docker.io/ and library/
// added as a pull would), with a 400 that an image inspect does not tell apart from its other failures.
const MAX_REPOSITORY = 255;
function normalizedRepository(uri: string): string {
  const name = uri.replace(/@.*$/, '').replace(/:[^:/]*$/, ''); // without digest and tag
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first !== '' && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  return hasDomain ? name : `docker.io/${slash < 0 ? 'library/' : ''}${name}`;
}
const isImageRef = (uri: string) => uri.length <= 512 && IMAGE_REF.test(uri) && normalizedRepository(uri).length <= MAX_REPOSITORY;
const ENV_KEY = /^[^=\0]+$/;

/** The snapshot a restore names, as read before validation (null: no such snapshot). */
export type RestoreSource = { state: string; imageRef: string } | null;

/**
 * Service-level checks in upstream's order (DESIGN.md upstream §2.1): the request model's exactly-one-of
 * image/snapshotId, then extensions, snapshot, entrypoint, metadata, platform, timeout, secureAccess,
 * networkPolicy. Volumes come after, in the volumes module. The caller reads the snapshot beforehand
 * (a read has no side effects), so the order of the answers stays upstream's while this stays pure.
 */
export function validateCreate(input: CreateSandboxInput, config: Pick<Config, 'maxTimeoutSeconds'>, snapshot?: RestoreSource): ValidCreate {
  if (input.image && input.snapshotId !== undefined) throw invalid('SANDBOX::INVALID_PARAMETER', 'Provide exactly one of image or snapshotId, not both.');
  if (!input.image && input.snapshotId === undefined) throw invalid('SANDBOX::INVALID_PARAMETER', 'image or snapshotId is required.');
  const extensions = input.extensions ?? {};
  if (RENEW_EXTEND in extensions) {
    const v = extensions[RENEW_EXTEND]!;
    if (!/^\d+$/.test(v) || Number(v) < 300 || Number(v) > 86400)
      throw invalid('SANDBOX::INVALID_PARAMETER', `extensions['${RENEW_EXTEND}'] must be an integer between 300 and 86400.`);
  }
  // Upstream's spec requires resourceLimits on every create but a pool's (whose template has filled it in by
  // now, src/domain/pools/for-create.ts): a sandbox without limits could take the whole host. An empty map
  // still passes (the schema's type allows it).
  if (input.resourceLimits === undefined) throw invalid('SANDBOX::INVALID_PARAMETER', 'resourceLimits is required.');
  let image: string;
  let entrypoint = input.entrypoint;
  if (input.snapshotId !== undefined) {
    image = restoreImage(input.snapshotId, snapshot ?? null);
    entrypoint ??= RESTORE_ENTRYPOINT;
  } else {
    const uri = input.image!.uri;
    if (!isImageRef(uri)) throw invalid('SANDBOX::INVALID_PARAMETER', `image.uri '${uri.slice(0, 80)}' is not a valid image reference.`);
    image = uri;
  }
  if (!entrypoint || entrypoint.length === 0 || entrypoint[0] === '')
    throw invalid('DOCKER::INVALID_ENTRYPOINT', 'Entrypoint must be a non-empty list of strings.');
  if (entrypoint.some((a) => a.includes('\0'))) throw invalid('DOCKER::INVALID_ENTRYPOINT', 'Entrypoint arguments must not contain NUL characters.');
  const metadata = input.metadata ?? {};
  assertValidMetadata(metadata, 'SANDBOX::INVALID_METADATA_LABEL');

  let platform: ValidCreate['platform'] = null;
  if (input.platform) {
    const os = input.platform.os.toLowerCase();
    const arch = input.platform.arch.toLowerCase();
    if (os !== 'linux') throw invalid('SANDBOX::INVALID_PARAMETER', `Platform os '${input.platform.os}' is not supported; use linux.`);
    if (arch !== 'amd64' && arch !== 'arm64') throw invalid('SANDBOX::INVALID_PARAMETER', `Platform arch '${input.platform.arch}' must be amd64 or arm64.`);
    platform = { os, arch };
  }

  const timeout = input.timeout ?? null;
  if (timeout !== null && config.maxTimeoutSeconds !== undefined && timeout > config.maxTimeoutSeconds)
    throw invalid('SANDBOX::INVALID_PARAMETER', `Sandbox timeout ${timeout}s exceeds configured maximum of ${config.maxTimeoutSeconds}s.`);
  if (input.secureAccess === true) throw invalid('SANDBOX::INVALID_PARAMETER', 'secureAccess is not supported on the Docker runtime.');
  if (input.networkPolicy !== undefined && input.networkPolicy !== null)
    throw invalid('SANDBOX::INVALID_PARAMETER', 'networkPolicy is not supported by this server.');
  if (input.credentialProxy?.enabled)
    throw invalid('SANDBOX::INVALID_PARAMETER', 'credentialProxy requires networkPolicy, which this server does not support.');

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.env ?? {})) {
    if (!ENV_KEY.test(k)) throw invalid('SANDBOX::INVALID_PARAMETER', `env key '${k}' must be non-empty and contain no '=' or NUL.`);
    if (v === null) continue; // upstream drops null values
    if (v.includes('\0')) throw invalid('SANDBOX::INVALID_PARAMETER', `env '${k}' must not contain NUL characters.`);
    env[k] = v;
  }

  return {
    image,
    snapshotId: input.snapshotId ?? null,
    auth: input.image?.auth,
    entrypoint: [...entrypoint],
    timeoutSeconds: timeout,
    resourceLimits: input.resourceLimits,
    env,
    metadata,
    extensions,
    platform,
    volumes: input.volumes ?? [],
  };
}
