import { posix } from 'node:path';
import { invalid } from '../errors.js';
import type { VolumeRequest } from './port.js';
import { checkHostPath } from './host-path-rules.js';
import { checkOssfsShared } from './ossfs-rules.js';

/**
 * The request-level checks, in upstream's order (validators.py: ensure_volumes_valid), per volume:
 * duplicate name, name, mountPath, subPath, backend, then the backend's own fields. Pure and synchronous:
 * what needs the file system or Docker comes after, in prepare.
 */
export type VolumeBase = { name: string; mountPath: string; readOnly: boolean; subPath: string | null };
export type HostRequest = VolumeBase & { kind: 'host'; path: string };
export type PvcRequest = VolumeBase & {
  kind: 'pvc';
  claimName: string;
  createIfNotExists: boolean;
  deleteOnSandboxTermination: boolean;
  extra: { storageClass?: string; storage?: string; accessModes?: string[] };
};
export type OssfsRequest = VolumeBase & {
  kind: 'ossfs';
  bucket: string;
  endpoint: string;
  version: unknown;
  options: string[];
  accessKeyId: string;
  accessKeySecret: string;
};
export type CheckedVolume = HostRequest | PvcRequest | OssfsRequest;

const KNOWN_BACKENDS = ['host', 'pvc', 'ossfs'] as const;
const KNOWN_FIELDS = new Set<string>(['name', 'mountPath', 'readOnly', 'subPath', ...KNOWN_BACKENDS]);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const RESERVED_MOUNT_ROOTS = ['/proc', '/sys', '/dev'];

export const CONTROL = /[\u0000-\u001f\u007f]/;

const present = (v: unknown) => v !== undefined && v !== null;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function checkVolumes(volumes: readonly VolumeRequest[], allowedHostPaths: readonly string[]): CheckedVolume[] {
  if (!Array.isArray(volumes)) throw invalid('SANDBOX::INVALID_PARAMETER', 'volumes must be a list.');
  const names = new Set<string>();
  const mountPaths = new Set<string>();
  return volumes.map((raw) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('SANDBOX::INVALID_PARAMETER', 'Each volume must be an object.');
    const v = raw as Record<string, unknown>;
    const name = str(v.name);
    if (names.has(name)) throw invalid('VOLUME::DUPLICATE_NAME', `Duplicate volume name '${name}'. Each volume must have a unique name.`);
    names.add(name);
    checkName(name);
    const mountPath = checkMountPath(v.mountPath, mountPaths);
    const subPath = checkSubPath(v.subPath);
    if (present(v.readOnly) && typeof v.readOnly !== 'boolean') throw invalid('SANDBOX::INVALID_PARAMETER', `Volume '${name}': readOnly must be a boolean.`);
    const base: VolumeBase = { name, mountPath, readOnly: v.readOnly === true, subPath };

    // Upstream's pydantic model drops unknown keys, so `nfs: {...}` used to become "no backend". Refuse it
    // by name instead: silently mounting nothing where the client asked for storage is the worst answer.
    const unknown = Object.keys(v).filter((k) => !KNOWN_FIELDS.has(k) && v[k] !== null && typeof v[k] === 'object');
    if (unknown.length > 0)
      throw invalid('VOLUME::UNSUPPORTED_BACKEND', `Volume '${name}': backend '${unknown[0]}' is not supported by this server (supported: host, pvc, ossfs).`);
    const given = KNOWN_BACKENDS.filter((k) => present(v[k]));
    if (given.length !== 1)
      throw invalid(
        'VOLUME::INVALID_BACKEND',
        `Volume '${name}' must specify exactly one backend (host, pvc, ossfs), but ${given.length === 0 ? 'none was' : 'multiple were'} provided.`,
      );
    const backend = v[given[0]!];
    if (typeof backend !== 'object' || Array.isArray(backend)) throw invalid('VOLUME::INVALID_BACKEND', `Volume '${name}': ${given[0]} must be an object.`);
    const b = backend as Record<string, unknown>;

    switch (given[0]!) {
      case 'host':
        checkHostPath(str(b.path), allowedHostPaths);
        return { ...base, kind: 'host', path: str(b.path) };
      case 'pvc': {
        const claimName = str(b.claimName);
        checkPvcName(claimName);
        return {
          ...base,
          kind: 'pvc',
          claimName,
          createIfNotExists: b.createIfNotExists !== false,
          deleteOnSandboxTermination: b.deleteOnSandboxTermination === true,
          extra: {
            storageClass: typeof b.storageClass === 'string' ? b.storageClass : undefined,
            storage: typeof b.storage === 'string' ? b.storage : undefined,
            accessModes: Array.isArray(b.accessModes) ? b.accessModes.filter((m): m is string => typeof m === 'string') : undefined,
          },
        };
      }
      case 'ossfs': {
        const o = checkOssfsShared(name, b);
        return { ...base, kind: 'ossfs', ...o };
      }
    }
    throw new Error('unreachable');
  });
}

function checkName(name: string): void {
  if (!name) throw invalid('VOLUME::INVALID_NAME', 'Volume name cannot be empty.');
  if (name.length > 63) throw invalid('VOLUME::INVALID_NAME', `Volume name '${name}' exceeds maximum length of 63 characters.`);
  if (!DNS_LABEL.test(name))
    throw invalid('VOLUME::INVALID_NAME', `Volume name '${name}' is not a valid DNS label. Must be lowercase alphanumeric with optional hyphens.`);
}

function checkMountPath(value: unknown, seen: Set<string>): string {
  const p = str(value);
  if (!p) throw invalid('VOLUME::INVALID_MOUNT_PATH', 'Mount path cannot be empty.');
  if (!p.startsWith('/')) throw invalid('VOLUME::INVALID_MOUNT_PATH', `Mount path '${p}' must be an absolute path starting with '/'.`);
  // Docker's bind syntax is source:target:mode, so a ':' here would be read as the start of the mode.
  if (p.includes(':') || CONTROL.test(p))
    throw invalid('VOLUME::INVALID_MOUNT_PATH', `Mount path '${JSON.stringify(p).slice(1, -1)}' must not contain ':' or control characters.`);
  // Docker cleans the target (`//proc/.` is /proc): judge the cleaned one. Over `/` the container gets no
  // root file system; over /proc, /sys or /dev (or inside them) it shadows or rewrites the kernel's view.
  const key = posix.normalize(p).replace(/\/+$/, '') || '/';
  if (key === '/' || RESERVED_MOUNT_ROOTS.some((r) => key === r || key.startsWith(`${r}/`)))
    throw invalid('VOLUME::INVALID_MOUNT_PATH', `Mount path '${p}' is not allowed: it is the root or lies in ${RESERVED_MOUNT_ROOTS.join(', ')}.`);
  // Two binds on one target fail inside Docker after the mounts are made; answer 400 before anything.
  if (seen.has(key)) throw invalid('VOLUME::INVALID_MOUNT_PATH', `Mount path '${p}' is used by more than one volume.`);
  seen.add(key);
  return p;
}

function checkSubPath(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalid('VOLUME::INVALID_SUB_PATH', 'SubPath must be a string.');
  if (value.startsWith('/')) throw invalid('VOLUME::INVALID_SUB_PATH', `SubPath '${value}' must be a relative path, not absolute.`);
  if (value.split('/').some((part) => part === '..'))
    throw invalid('VOLUME::INVALID_SUB_PATH', `SubPath '${value}' contains path traversal '..' which is not allowed.`);
  if (CONTROL.test(value) || value.includes(':'))
    throw invalid('VOLUME::INVALID_SUB_PATH', `SubPath '${JSON.stringify(value).slice(1, -1)}' must not contain ':' or control characters.`);
  return value;
}

function checkPvcName(claimName: string): void {
  if (!claimName) throw invalid('VOLUME::INVALID_PVC_NAME', 'PVC claim name cannot be empty.');
  if (claimName.length > 253) throw invalid('VOLUME::INVALID_PVC_NAME', `PVC claim name '${claimName}' exceeds maximum length of 253 characters.`);
  if (!DNS_LABEL.test(claimName)) throw invalid('VOLUME::INVALID_PVC_NAME', `PVC claim name '${claimName}' is not a valid Kubernetes resource name.`);
}
