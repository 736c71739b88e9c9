import { asc, desc, eq } from 'drizzle-orm';
import { events, mountRefs, mounts, sandboxVolumes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { toEventDto, type EventDto } from '../events/dto.js';

export type SandboxVolumeView = {
  name: string;
  backend: string;
  mountPath: string;
  readOnly: boolean;
  subPath: string | null;
  /** the shared host mount this volume binds (ossfs), with its state and how many sandboxes hold it */
  mount: { id: string; state: string; health: string; references: number } | null;
};

/** A sandbox's volumes as the dashboard shows them: names and paths, never the spec (it may name credentials). */
export async function sandboxVolumeViews(deps: Pick<Deps, 'db'>, sandboxId: string): Promise<SandboxVolumeView[]> {
  const rows = await deps.db
    .select({
      name: sandboxVolumes.name,
      backend: sandboxVolumes.backend,
      mountPath: sandboxVolumes.mountPath,
      readOnly: sandboxVolumes.readOnly,
      subPath: sandboxVolumes.subPath,
      mountId: sandboxVolumes.mountId,
      state: mounts.state,
      health: mounts.health,
    })
    .from(sandboxVolumes)
    .leftJoin(mounts, eq(mounts.id, sandboxVolumes.mountId))
    .where(eq(sandboxVolumes.sandboxId, sandboxId))
    .orderBy(asc(sandboxVolumes.name));
  const counts = new Map<string, number>();
  for (const r of rows) {
    if (!r.mountId || counts.has(r.mountId)) continue;
    const refs = await deps.db.select({ s: mountRefs.sandboxId }).from(mountRefs).where(eq(mountRefs.mountId, r.mountId));
    counts.set(r.mountId, refs.length);
  }
  return rows.map((r) => ({
    name: r.name,
    backend: r.backend,
    mountPath: r.mountPath,
    readOnly: r.readOnly,
    subPath: r.subPath,
    mount: r.mountId ? { id: r.mountId, state: r.state ?? 'unknown', health: r.health ?? 'unknown', references: counts.get(r.mountId) ?? 0 } : null,
  }));
}

/** The newest events about one sandbox or one mount, newest first (its history as the dashboard shows it). */
export async function recentEventsOf(deps: Pick<Deps, 'db'>, of: { sandboxId: string } | { mountId: string }, limit = 100): Promise<EventDto[]> {
  const where = 'sandboxId' in of ? eq(events.sandboxId, of.sandboxId) : eq(events.mountId, of.mountId);
  const rows = await deps.db.select().from(events).where(where).orderBy(desc(events.seq)).limit(limit);
  return rows.map(toEventDto);
}

/** The newest events of the whole log, newest first: what the event tail page starts with. */
export async function recentEvents(deps: Pick<Deps, 'db'>, limit = 100): Promise<EventDto[]> {
  const rows = await deps.db.select().from(events).orderBy(desc(events.seq)).limit(limit);
  return rows.map(toEventDto);
}
