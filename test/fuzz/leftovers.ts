import { readdirSync } from 'node:fs';
import Docker from 'dockerode';
import postgres from 'postgres';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export type RunRecord = {
  /** sandbox ids whose create answered 2xx (and the ones the run set up itself) */
  accepted: Set<string>;
  instanceId: string;
  databaseUrl: string;
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
  const sql = postgres(run.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const live = await sql<{ id: string; container_id: string | null; state: string }[]>`
      select id, container_id, state from sandboxes where deleted_at is null`;
    const liveIds = new Set(live.map((s) => s.id));
    for (const s of live) if (!run.accepted.has(s.id)) out.push(`live row ${s.id} (${s.state}) from a request that was not answered 2xx`);

    const containers = await docker.listContainers({ all: true, filters: { label: [`berth.instance=${run.instanceId}`] } });
    const byContainer = new Map(live.filter((s) => s.container_id).map((s) => [s.container_id!, s.id]));
    for (const c of containers) {
      const sid = c.Labels['berth.sandbox-id'];
      if (c.Labels['berth.pool'] && !sid) continue; // a warm-pool container waiting for a claim has no row yet
      if (!byContainer.has(c.Id)) out.push(`container ${c.Id.slice(0, 12)} (sandbox ${sid ?? '?'}, ${c.State}) has no live row`);
    }

    const refs = await sql<{ sandbox_id: string; mount_id: string }[]>`select sandbox_id, mount_id from mount_refs`;
    for (const r of refs) if (!liveIds.has(r.sandbox_id)) out.push(`mount reference ${r.mount_id} held by ${r.sandbox_id}, which is not live`);
    const mounts = await sql<{ id: string; state: string; refs: number }[]>`
      select m.id, m.state, (select count(*)::int from mount_refs r where r.mount_id = m.id) as refs from mounts m
      where m.state in ('absent', 'mounting', 'mounted', 'unmounting')`;
    for (const m of mounts) if (m.refs === 0) out.push(`mount ${m.id} is ${m.state} with no reference`);

    const volumes = (await docker.listVolumes({ filters: { label: [`berth.instance=${run.instanceId}`] } })).Volumes ?? [];
    for (const v of volumes) {
      const owner = v.Labels?.['berth.created-for-sandbox'];
      if (owner && !run.accepted.has(owner)) out.push(`volume ${v.Name} made for ${owner}, whose create was refused`);
    }

    const snapshotRows = new Set((await sql<{ id: string }[]>`select id from snapshots where state <> 'Deleted'`).map((s) => s.id));
    const images = await docker.listImages({ filters: { label: [`berth.instance=${run.instanceId}`] } });
    for (const img of images) {
      const sid = img.Labels?.['berth.snapshot-id'];
      if (sid && !snapshotRows.has(sid)) out.push(`snapshot image ${img.RepoTags?.[0] ?? img.Id} has no snapshot row`);
    }
  } finally {
    await sql.end();
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
