import type { Db } from '../ports.js';

/**
 * What sandbox create/delete/reconcile need from storage (issue: volumes and the mount ledger).
 * The create verb calls, in order:
 *   prepare (before any row: validation and read-only checks; throws 400 DomainErrors)
 *   acquire (inside the transaction that inserts the sandbox row: sandbox_volumes + mount_refs rows)
 *   materialize (after that commit: mount what must be mounted, create pvc volumes; returns the binds)
 * and on any later failure, or on delete/expiry after the container is gone:
 *   release (idempotent: drops this sandbox's references, unmounts only what a committed tx saw unreferenced)
 */
export type VolumeRequest = {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  host?: { path: string };
  pvc?: {
    claimName: string;
    createIfNotExists?: boolean;
    deleteOnSandboxTermination?: boolean;
    storageClass?: string;
    storage?: string;
    accessModes?: string[];
  };
  ossfs?: { bucket: string; endpoint: string; version?: string; options?: string[]; accessKeyId?: string; accessKeySecret?: string };
  /** any other key the client sent (nfs, ...): an unknown backend must be refused, never dropped */
  [other: string]: unknown;
};

/** Opaque to the sandbox verbs: whatever prepare computed, handed back to acquire/materialize. */
export type VolumePlan = { readonly volumes: readonly unknown[] };

export interface SandboxVolumes {
  prepare(sandboxId: string, volumes: VolumeRequest[]): Promise<VolumePlan>;
  acquire(tx: Db, sandboxId: string, plan: VolumePlan): Promise<void>;
  /** Returns docker binds "source:target[:ro]". Throws DomainError on failure (the caller then calls release). */
  materialize(sandboxId: string, plan: VolumePlan): Promise<string[]>;
  /**
   * createFailed (optional, additive): the create never completed, so every Docker volume it created goes,
   * not only deleteOnSandboxTermination ones. Defaults to "the sandbox row is still Pending".
   */
  release(sandboxId: string, opts: { removeManaged: boolean; createFailed?: boolean }): Promise<void>;
  /**
   * Inside the transaction that moves a sandbox to Terminated or Failed with no running container: drop
   * its references (only a sandbox whose container can still use a mount holds one). Returns the mounts
   * to pass to unmountUnreferenced after that commit. Docker volumes stay until the sandbox is deleted.
   */
  dropReferences(tx: Db, sandboxId: string): Promise<string[]>;
  /** After that commit: unmount what a locked, fresh check finds nothing references any more. */
  unmountUnreferenced(mountIds: string[], actor: string): Promise<void>;
}

/** Until the volume backends are wired in: no volumes, and a clear 400 when a client asks for one. */
export const noVolumes: SandboxVolumes = {
  async prepare(_id, volumes) {
    if (volumes.length > 0) {
      const { invalid } = await import('../errors.js');
      throw invalid('VOLUME::UNSUPPORTED_BACKEND', 'Volumes are not supported by this server.');
    }
    return { volumes: [] };
  },
  async acquire() {},
  async materialize() {
    return [];
  },
  async release() {},
  async dropReferences() {
    return [];
  },
  async unmountUnreferenced() {},
};
