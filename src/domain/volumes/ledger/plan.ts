import type { VolumePlan } from '../port.js';
import type { OssfsCredentials, OssfsSpec } from '../mounter-port.js';
import type { VolumeBase } from '../validate.js';

/** A volume after prepare: validated, resolved as far as reading allows, secrets kept out of `spec`. */
export type PreparedVolume =
  | (VolumeBase & { kind: 'host'; path: string })
  | (VolumeBase & {
      kind: 'pvc';
      claimName: string;
      createIfNotExists: boolean;
      deleteOnSandboxTermination: boolean;
      willCreate: boolean;
      extra: Record<string, unknown>;
    })
  | (VolumeBase & { kind: 'ossfs'; identityKey: string });

/** One shared mount this sandbox needs; two volumes on one backend path share one entry (one reference). */
export type PlannedMount = {
  identityKey: string;
  credentialFingerprint: string;
  spec: OssfsSpec;
  credentials: OssfsCredentials;
  volumeNames: string[];
};

/**
 * What acquire learnt under the identity lock: owner = this create moved the row to mounting and runs the
 * command (under `token`); join = someone else mounts or mounted it.
 */
export type AcquiredMount = { mountId: string; hostPath: string; role: 'owner' | 'join'; token: string | null };

export class Plan implements VolumePlan {
  /** Filled by acquire; reset when acquire runs again (a retried transaction). */
  acquired = new Map<string, AcquiredMount>();
  constructor(
    readonly sandboxId: string,
    readonly volumes: PreparedVolume[],
    readonly mounts: PlannedMount[],
  ) {}
}

export function asPlan(plan: VolumePlan, sandboxId: string): Plan {
  if (!(plan instanceof Plan) || plan.sandboxId !== sandboxId) throw new Error('volume plan was not made by prepare() for this sandbox');
  return plan;
}

/** The non-secret record of a volume, as stored in sandbox_volumes.spec. */
export function volumeSpecRecord(v: PreparedVolume, mounts: PlannedMount[]): Record<string, unknown> {
  switch (v.kind) {
    case 'host':
      return { path: v.path };
    case 'pvc':
      return { claimName: v.claimName, createIfNotExists: v.createIfNotExists, deleteOnSandboxTermination: v.deleteOnSandboxTermination, ...v.extra };
    case 'ossfs': {
      const m = mounts.find((x) => x.identityKey === v.identityKey)!;
      return { bucket: m.spec.bucket, endpoint: m.spec.endpoint, version: m.spec.version, options: m.spec.options, prefix: m.spec.prefix };
    }
  }
}
