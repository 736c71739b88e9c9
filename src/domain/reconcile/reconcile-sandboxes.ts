import { and, eq, inArray, isNull } from 'drizzle-orm';
import { sandboxes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { LABELS } from '../ports.js';
import { recordExit, recordRemoved } from '../sandbox/observe-container.js';
import { withTx } from '../../db/tx.js';
import { planReconcile, type ReconcileAction } from './plan.js';

/** A pause or resume older than this was interrupted (the process died mid-call): Docker's state wins. */
const IN_FLIGHT_MS = 60_000;

export type ReconcileResult = { actions: ReconcileAction[]; failed: number };

/** Converge rows and containers on this host: at boot before serving, then periodically. */
export async function reconcileSandboxesOnce(deps: Deps): Promise<ReconcileResult> {
  const containers = (await deps.runtime.listOwned(deps.instanceId)).filter((c) => (c.labels[LABELS.hostId] ?? deps.config.hostId) === deps.config.hostId);
  const ids = containers.map((c) => c.labels[LABELS.sandboxId]).filter((x): x is string => Boolean(x));
  const live = await deps.db
    .select({ id: sandboxes.id, state: sandboxes.state, containerId: sandboxes.containerId, lastTransitionAt: sandboxes.lastTransitionAt })
    .from(sandboxes)
    .where(and(isNull(sandboxes.deletedAt), eq(sandboxes.hostId, deps.config.hostId)));
  const recent = deps.clock.now().getTime() - IN_FLIGHT_MS;
  const liveIds = new Set(live.map((r) => r.id));
  const missing = ids.filter((id) => !liveIds.has(id));
  const deleted =
    missing.length > 0
      ? await deps.db
          .select({ id: sandboxes.id, state: sandboxes.state, containerId: sandboxes.containerId })
          .from(sandboxes)
          .where(inArray(sandboxes.id, missing))
      : [];
  const rows = [
    ...live.map((r) => ({ ...r, deleted: false, inFlight: (r.state === 'Pausing' || r.state === 'Resuming') && r.lastTransitionAt.getTime() > recent })),
    ...deleted.map((r) => ({ ...r, deleted: true })),
  ];

  // An unclaimed warm-pool container has no sandbox row yet: it is the pool filler's (domain/pools), not an orphan.
  const known = new Set(rows.map((r) => r.id));
  const sandboxContainers = containers.filter((c) => c.labels[LABELS.pool] === undefined || known.has(c.labels[LABELS.sandboxId] ?? ''));
  const actions = planReconcile(rows, sandboxContainers);
  let failed = 0;
  for (const a of actions) {
    try {
      await apply(deps, a);
    } catch (err) {
      failed++;
      deps.log.error({ action: a, err: String(err) }, 'reconcile action failed');
    }
  }
  if (actions.length > 0) deps.log.info({ actions: actions.length, failed }, 'reconciled sandboxes with Docker');
  return { actions, failed };
}

async function apply(deps: Deps, a: ReconcileAction): Promise<void> {
  switch (a.kind) {
    case 'remove-orphan':
      deps.log.warn({ containerId: a.containerId, sandboxId: a.sandboxId }, 'removing orphan container');
      return deps.runtime.remove(a.containerId);
    case 'exited':
    case 'removed': {
      // The container list is older than the rows it was compared with (plan.ts reads containers first),
      // so a container a create had only just made, or not yet, may be running by now. Ask again before
      // calling the sandbox finished: a finished sandbox gives up its mounts (observe-container.ts).
      const now = await deps.runtime.inspect(a.containerId);
      if (!now) return recordRemoved(deps, a.sandboxId, a.containerId, 'reconciler');
      if (now.running) return;
      return recordExit(deps, a.sandboxId, a.containerId, now.exitCode, 'reconciler');
    }
    case 'sync-state':
      return withTx(deps.db, async (tx) => {
        const now = deps.clock.now();
        const [r] = await tx
          .update(sandboxes)
          .set({
            state: a.to,
            reason: a.to === 'Paused' ? 'CONTAINER_PAUSED' : 'CONTAINER_RUNNING',
            message: `Sandbox container is ${a.to.toLowerCase()}.`,
            lastTransitionAt: now,
            updatedAt: now,
            leaseOwner: null,
            leaseUntil: null,
          })
          .where(and(eq(sandboxes.id, a.sandboxId), eq(sandboxes.state, a.from), isNull(sandboxes.deletedAt)))
          .returning({ id: sandboxes.id });
        if (r)
          await appendEvent(tx, deps, {
            type: a.to === 'Paused' ? 'sandbox.paused' : 'sandbox.resumed',
            sandboxId: a.sandboxId,
            fromState: a.from,
            toState: a.to,
            reason: 'reconciled',
            actor: 'reconciler',
          });
      });
  }
}
