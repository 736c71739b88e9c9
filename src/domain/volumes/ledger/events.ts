import type { NewEvent } from '../../events/types.js';
import type { OssfsSpec } from '../mounter-port.js';

type MountRowLike = { id: string; backend: string; spec: Record<string, unknown>; hostPath: string; state: string };

/** A mount event: identity and path, never credentials (the row holds none in clear anyway). */
export function mountEvent(
  row: MountRowLike,
  type: Extract<NewEvent['type'], `mount.${string}`>,
  e: { toState: string; actor: string; reason?: string; data?: Record<string, unknown> },
): NewEvent {
  const spec = row.spec as Partial<OssfsSpec>;
  return {
    type,
    mountId: row.id,
    fromState: row.state,
    toState: e.toState,
    reason: e.reason ?? null,
    actor: e.actor,
    data: {
      backend: row.backend,
      bucket: spec.bucket,
      prefix: spec.prefix,
      endpoint: spec.endpoint,
      version: spec.version,
      hostPath: row.hostPath,
      ...e.data,
    },
  };
}
