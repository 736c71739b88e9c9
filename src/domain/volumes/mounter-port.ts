/**
 * What the mount ledger needs from the host (implemented by src/adapters/storage/fuse-mounter.ts; tests
 * use a counting fake). Everything here is physical and idempotent; the ledger decides when to call it.
 */
export type OssfsVersion = '1.0' | '2.0';

/** What is mounted. Non-secret: it goes to the ledger row, the API and events as is. */
export type OssfsSpec = {
  version: OssfsVersion;
  bucket: string;
  /** object prefix without leading or trailing '/'; '' for the bucket root */
  prefix: string;
  /** normalised URL (scheme added when the client left it out) */
  endpoint: string;
  options: string[];
};

export type OssfsCredentials = { accessKeyId: string; accessKeySecret: string };

/**
 * mounted: a FUSE mount is at the path and answers. dead: the kernel still lists it but the daemon is gone
 * (ENOTCONN) or does not answer. absent: nothing mounted there. foreign: something that is not FUSE.
 */
export type MountProbe = { state: 'mounted' | 'dead' | 'absent' | 'foreign'; detail?: string };

/** A mount or unmount command failed. `message` and `stderr` are already free of secrets. */
export class MountFailure extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'MountFailure';
  }
}

export interface Mounter {
  /** The mount root as configured (absolute, normalised); every ledger mount path lives directly under it. */
  readonly root: string;
  /**
   * Create the root and, where the host allows it, make it a shared mount so a repaired mount reaches the
   * sandboxes already bound to it. Returns the bind propagation to request ('rslave') or null. Idempotent.
   */
  prepareRoot(): Promise<{ propagation: 'rslave' | null }>;
  /** Mount at hostPath and return only once the mount is listed and answers; on failure nothing stays mounted. */
  mount(hostPath: string, spec: OssfsSpec, creds: OssfsCredentials): Promise<void>;
  /** Replace a dead mount in place: mount afresh elsewhere and bind it over the dead one. */
  repair(hostPath: string, spec: OssfsSpec, creds: OssfsCredentials): Promise<void>;
  /** Remove every mount layer at hostPath, then the empty directory. Not mounted is success. */
  unmount(hostPath: string, version: OssfsVersion): Promise<void>;
  /** deep also lists the directory (a real round trip to the daemon); shallow is mountinfo + stat. */
  probe(hostPath: string, opts?: { deep?: boolean }): Promise<MountProbe>;
  /** Mount points and leftover directories under the root, for the orphan sweep. */
  scanRoot(): Promise<{ mounted: string[]; dirs: string[] }>;
}
