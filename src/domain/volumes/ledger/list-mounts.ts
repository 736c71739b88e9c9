import { and, asc, desc, eq, inArray, ne, type SQL } from 'drizzle-orm';
import { mountRefs, mounts } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { notFound } from '../../errors.js';
import type { MountRow } from './mount-rows.js';
import type { OssfsSpec } from '../mounter-port.js';
import type { MountState } from './states.js';

/** A mount as operators and dashboards see it: identity without any secret, state, health, who holds it. */
export type MountView = {
  id: string;
  backend: string;
  hostId: string;
  hostPath: string;
  state: MountState;
  health: string;
  identity: { bucket: string; prefix: string; endpoint: string; version: string; options: string[]; credentialFingerprint: string | null };
  references: number;
  sandboxes: string[];
  lastError: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
  createdAt: string;
  updatedAt: string;
};

export type ListMountsInput = { state?: string; hostId?: string; limit?: number };

type ViewDeps = Pick<Deps, 'db'>;

function toView(row: MountRow, holders: string[]): MountView {
  const spec = row.spec as Partial<OssfsSpec>;
  return {
    id: row.id,
    backend: row.backend,
    hostId: row.hostId,
    hostPath: row.hostPath,
    state: row.state as MountState,
    health: row.health,
    identity: {
      bucket: spec.bucket ?? '',
      prefix: spec.prefix ?? '',
      endpoint: spec.endpoint ?? '',
      version: spec.version ?? '',
      options: spec.options ?? [],
      // A keyed hash already, shortened: enough to tell two credential sets apart, nothing to attack.
      credentialFingerprint: row.credentialFingerprint ? row.credentialFingerprint.slice(0, 16) : null,
    },
    references: holders.length,
    sandboxes: holders,
    lastError: row.lastError,
    leaseOwner: row.leaseOwner,
    leaseUntil: row.leaseUntil?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function holdersOf(db: Deps['db'], ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const refs = await db
    .select({ mountId: mountRefs.mountId, sandboxId: mountRefs.sandboxId })
    .from(mountRefs)
    .where(inArray(mountRefs.mountId, ids))
    .orderBy(asc(mountRefs.createdAt), asc(mountRefs.sandboxId));
  for (const r of refs) out.get(r.mountId)!.push(r.sandboxId);
  return out;
}

/** Live mounts by default (unmounted generations are history); `state` selects one state, history included. */
export async function listMounts(deps: ViewDeps, input: ListMountsInput = {}): Promise<MountView[]> {
  const where: SQL[] = [input.state ? eq(mounts.state, input.state) : ne(mounts.state, 'unmounted')];
  if (input.hostId) where.push(eq(mounts.hostId, input.hostId));
  const rows = await deps.db
    .select()
    .from(mounts)
    .where(and(...where))
    .orderBy(desc(mounts.createdAt), desc(mounts.id))
    .limit(Math.min(Math.max(input.limit ?? 100, 1), 1000));
  const holders = await holdersOf(
    deps.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toView(r, holders.get(r.id)!));
}

export async function getMount(deps: ViewDeps, id: string): Promise<MountView> {
  const [row] = await deps.db.select().from(mounts).where(eq(mounts.id, id));
  if (!row) throw notFound('MOUNT::NOT_FOUND', `Mount ${id} not found.`);
  return toView(row, (await holdersOf(deps.db, [id])).get(id)!);
}
