import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeFailure } from '../../errors.js';
import { leaseIsDead } from '../../lease.js';
import { inflightMount, runOwnedMount, takeOver, type FlowDeps } from './mount-flow.js';
import { loadMount } from './mount-rows.js';
import type { AcquiredMount, PlannedMount } from './plan.js';
import { MOUNT_WAIT_MS } from './states.js';

const failed = (m: PlannedMount, why: string) =>
  runtimeFailure('VOLUME::OSSFS_MOUNT_FAILED', `Volume '${m.volumeNames.join("', '")}': failed to mount OSSFS backend. stderr=${why}`);

/**
 * After the acquiring transaction committed: return once the mount this sandbox references is mounted and
 * answering. The owner runs the command; joiners wait for it (in-process promise, else polling the row);
 * a dead owner's lease is taken over; a mount found dead or missing is repaired before any container uses it.
 */
export async function ensureMounted(deps: FlowDeps, acquired: AcquiredMount, planned: PlannedMount, actor: string): Promise<void> {
  // Wall-clock deadline on purpose: tests inject a fixed clock, and a wait must still end.
  const deadline = Date.now() + MOUNT_WAIT_MS;
  if (acquired.role === 'owner' && acquired.token) await runOwnedMount(deps, acquired.mountId, acquired.token, planned.credentials, actor);

  for (let round = 0; ; round++) {
    const row = await loadMount(deps.db, acquired.mountId);
    if (!row) throw failed(planned, 'the mount record disappeared');
    let token: string | null = null;
    switch (row.state) {
      case 'mounted': {
        const probe = await deps.mounter.probe(row.hostPath);
        if (probe.state === 'mounted') return;
        // Dead (ENOTCONN) or gone: repair it before a container binds it. expectUpdatedAt makes sure two
        // creates that both saw it dead repair it once.
        token = await takeOver(deps, row.id, ['mounted'], {
          actor,
          degraded: { reason: probe.state === 'dead' ? 'fuse_dead' : 'mount_missing', detail: probe.detail },
          expectUpdatedAt: row.updatedAt,
        });
        break;
      }
      case 'mounting':
        if (leaseIsDead(deps, row)) token = await takeOver(deps, row.id, ['mounting'], { actor });
        break;
      case 'absent':
        token = await takeOver(deps, row.id, ['absent'], { actor });
        break;
      case 'failed':
        // A create shares the outcome of the attempt it waited for (a failed row is retried by the next
        // create that acquires it, or by the reconciler).
        throw failed(planned, row.lastError ?? 'unknown error');
      default:
        throw failed(planned, `the mount is ${row.state}`);
    }
    if (token) {
      await runOwnedMount(deps, row.id, token, planned.credentials, actor);
      continue;
    }
    if (Date.now() > deadline) throw failed(planned, 'timed out waiting for the mount');
    const pending = inflightMount(row.id);
    if (pending) await Promise.race([pending.catch(() => {}), sleep(1000)]);
    else await sleep(Math.min(20 * 2 ** Math.min(round, 4), 250));
  }
}
