import type { MountSecrets } from '../mount-secrets-port.js';
import type { OssfsCredentials, OssfsSpec } from '../mounter-port.js';

/**
 * Mount identity (DESIGN.md invariant 3): everything that changes what a mount is, keyed with the server
 * key. The credentials enter only as a keyed fingerprint, so the identity never reveals them, and two
 * tenants naming one bucket with different credentials never share a mount (upstream keys by path only).
 * The host id is part of it: a mount is a host-local thing even when hosts share one database.
 */
export type MountIdentity = { identityKey: string; credentialFingerprint: string };

export function credentialFingerprint(secrets: MountSecrets, creds: OssfsCredentials): string {
  return secrets.keyedHash('credential-fingerprint', { accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret });
}

export function mountIdentity(secrets: MountSecrets, hostId: string, spec: OssfsSpec, creds: OssfsCredentials): MountIdentity {
  const fingerprint = credentialFingerprint(secrets, creds);
  const identityKey = secrets.keyedHash('mount-identity', {
    v: 1,
    hostId,
    backend: 'ossfs',
    version: spec.version,
    endpoint: spec.endpoint,
    bucket: spec.bucket,
    prefix: spec.prefix,
    // Order kept: for FUSE the last of two conflicting options wins, so order can change the mount.
    options: spec.options,
    credentials: fingerprint,
  });
  return { identityKey, credentialFingerprint: fingerprint };
}

/** Each generation gets its own directory, so a new one never waits for an old one's unmount. */
export function mountHostPath(root: string, mountId: string): string {
  return `${root.replace(/\/+$/, '')}/${mountId}`;
}
