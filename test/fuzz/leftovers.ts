import { readdirSync } from 'node:fs';
import Docker from 'dockerode';
import postgres from 'postgres';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** What the database says is live: read with SQL (Postgres) or through the API (the embedded PGlite, which only the server can open). */
export type Ledger = {
  live(): Promise<Array<{ id: string; containerId: string | null; state: string }>>;
  refs(): Promise<Array<{ sandboxId: string; mountId: string }>>;
  /** mounts in a live state (absent, mounting, mounted, unmounting) with their reference count */
  liveMounts(): Promise<Array<{ id: string; state: string; refs: number }>>;
  snapshotIds(): Promise<Set<string>>;
  close(): Promise<void>;
};

export function sqlLedger(databaseUrl: string): Ledger {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  return {
    live: async () =>
      (await sql<{ id: string; container_id: string | null; state: string }[]>`select id, container_id, state from sandboxes where deleted_at is null`).map(
        (r) => ({ id: r.id, containerId: r.container_id, state: r.state }),
      ),
    refs: async () =>
      (await sql<{ sandbox_id: string; mount_id: string }[]>`select sandbox_id, mount_id from mount_refs`).map((r) => ({
        sandboxId: r.sandbox_id,
        mountId: r.mount_id,
      })),
    liveMounts: async () => [
      ...(await sql<{ id: string; state: string; refs: number }[]>`
        select m.id, m.state, (select count(*)::int from mount_refs r where r.mount_id = m.id) as refs from mounts m
        where m.state in ('absent', 'mounting', 'mounted', 'unmounting')`),
    ],
    snapshotIds: async () => new Set((await sql<{ id: string }[]>`select id from snapshots`).map((s) => s.id)),
    close: () => sql.end(),
  };
}

/** The same questions through the server's own API (lists answer live rows only, as the ledger's SQL does). */
export function apiLedger(api: (path: string) => Promise<Response>): Ledger {
  const pages = async <T>(path: string): Promise<T[]> => {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const body = (await (await api(`${path}${path.includes('?') ? '&' : '?'}page=${page}&pageSize=200`)).json()) as {
        items: T[];
        pagination: { hasNextPage: boolean };
      };
      out.push(...body.items);
      if (!body.pagination.hasNextPage) return out;
    }
  };
  const mounts = async () =>
    ((await (await api('/v1/mounts?limit=1000')).json()) as { items: Array<{ id: string; state: string; references: number; sandboxes: string[] }> }).items;
  return {
    live: async () =>
      (await pages<{ id: string; status: { state: string } }>('/v1/sandboxes')).map((s) => ({ id: s.id, containerId: null, state: s.status.state })),
    refs: async () => (await mounts()).flatMap((m) => m.sandboxes.map((sandboxId) => ({ sandboxId, mountId: m.id }))),
    liveMounts: async () =>
      (await mounts())
        .filter((m) => ['absent', 'mounting', 'mounted', 'unmounting'].includes(m.state))
        .map((m) => ({ id: m.id, state: m.state, refs: m.references })),
    snapshotIds: async () => new Set((await pages<{ id: string }>('/v1/snapshots')).map((s) => s.id)),
    close: async () => {},
  };
}

export type RunRecord = {
  /** sandbox ids whose create answered 2xx (and the ones the run set up itself) */
  accepted: Set<string>;
  instanceId: string;
  ledger: Ledger;
  /** directories the server was given for its temporary and mount files */
  emptyDirs: string[];
};

/**
 * What a run must not leave behind, as findings (empty = clean): a live row nobody was told about, a
 * berth container without a live row, a mount reference without a live sandbox, a mount nothing
 * references, a Docker volume made for a refused create, a snapshot image without its row, a stray file.
 */
export async function findLeftovers(run: RunRecord): Promise<string[]> {
  const out: string[] = [];
  const live = await run.ledger.live();
  const liveIds = new Set(live.map((s) => s.id));
  for (const s of live) if (!run.accepted.has(s.id)) out.push(`live row ${s.id} (${s.state}) from a request that was not answered 2xx`);

  const containers = await docker.listContainers({ all: true, filters: { label: [`berth.instance=${run.instanceId}`] } });
  const byContainer = new Map(live.filter((s) => s.containerId).map((s) => [s.containerId!, s.id]));
  for (const c of containers) {
    const sid = c.Labels['berth.sandbox-id'];
    if (c.Labels['berth.pool'] && !sid) continue; // a warm-pool container waiting for a claim has no row yet
    // by container id where the ledger knows it, else by the sandbox label
    const owned = byContainer.size > 0 ? byContainer.has(c.Id) : sid !== undefined && liveIds.has(sid);
    if (!owned) out.push(`container ${c.Id.slice(0, 12)} (sandbox ${sid ?? '?'}, ${c.State}) has no live row`);
  }

  for (const r of await run.ledger.refs()) if (!liveIds.has(r.sandboxId)) out.push(`mount reference ${r.mountId} held by ${r.sandboxId}, which is not live`);
  for (const m of await run.ledger.liveMounts()) if (m.refs === 0) out.push(`mount ${m.id} is ${m.state} with no reference`);

  const volumes = (await docker.listVolumes({ filters: { label: [`berth.instance=${run.instanceId}`] } })).Volumes ?? [];
  for (const v of volumes) {
    const owner = v.Labels?.['berth.created-for-sandbox'];
    if (owner && !run.accepted.has(owner)) out.push(`volume ${v.Name} made for ${owner}, whose create was refused`);
  }

  const snapshotRows = await run.ledger.snapshotIds();
  const images = await docker.listImages({ filters: { label: [`berth.instance=${run.instanceId}`] } });
  for (const img of images) {
    const sid = img.Labels?.['berth.snapshot-id'];
    if (sid && !snapshotRows.has(sid)) out.push(`snapshot image ${img.RepoTags?.[0] ?? img.Id} has no snapshot row`);
  }
  for (const dir of run.emptyDirs) {
    const left = readdirSync(dir).filter((name) => !name.startsWith('tsx-')); // tsx (which runs the server) caches there
    if (left.length > 0) out.push(`${dir} still holds ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''}`);
  }
  return out;
}

/** Remove every image a run's snapshots made (found by the instance label). */
export async function removeSnapshotImages(instanceId: string): Promise<void> {
  const images = await docker.listImages({ filters: { label: [`berth.instance=${instanceId}`] } });
  for (const img of images)
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => {});
}
