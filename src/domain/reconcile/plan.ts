import { LABELS, type ContainerState } from '../ports.js';
import type { SandboxState } from '../sandbox/states.js';

/** inFlight: a pause/resume that started moments ago and is still talking to Docker. */
export type RowView = { id: string; state: SandboxState; containerId: string | null; deleted: boolean; inFlight?: boolean };

export type ReconcileAction =
  | { kind: 'remove-orphan'; containerId: string; sandboxId: string | null }
  | { kind: 'exited'; sandboxId: string; containerId: string; exitCode: number | null }
  | { kind: 'removed'; sandboxId: string; containerId: string }
  | { kind: 'sync-state'; sandboxId: string; from: SandboxState; to: 'Running' | 'Paused' };

/**
 * What must change so rows and containers agree. Pure. `containers` must be listed BEFORE `rows` are
 * read: a row is always committed before its container is created, so a container whose sandbox has no
 * row in a later read is an orphan, never a create in flight. Pending and Stopping rows belong to an
 * in-flight create/delete (or to the reaper once their lease lapses) and are left alone.
 */
export function planReconcile(rows: RowView[], containers: ContainerState[]): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const containerById = new Map(containers.map((c) => [c.containerId, c]));

  for (const c of containers) {
    const sandboxId = c.labels[LABELS.sandboxId] ?? null;
    const row = sandboxId ? rowById.get(sandboxId) : undefined;
    if (!row || row.deleted) {
      actions.push({ kind: 'remove-orphan', containerId: c.containerId, sandboxId });
      continue;
    }
    if (row.state === 'Pending' || row.state === 'Stopping' || row.inFlight) continue;
    if (row.containerId !== c.containerId) {
      // A second container for a settled sandbox (a create retried after a crash): not the one we track.
      actions.push({ kind: 'remove-orphan', containerId: c.containerId, sandboxId });
      continue;
    }
    const finished = row.state === 'Terminated' || row.state === 'Failed';
    if (!c.running && !finished && (c.status === 'exited' || c.status === 'dead' || c.status === 'created')) {
      actions.push({ kind: 'exited', sandboxId: row.id, containerId: c.containerId, exitCode: c.exitCode });
    } else if (c.running && c.paused && row.state !== 'Paused' && !finished) {
      actions.push({ kind: 'sync-state', sandboxId: row.id, from: row.state, to: 'Paused' });
    } else if (c.running && !c.paused && row.state !== 'Running' && !finished) {
      actions.push({ kind: 'sync-state', sandboxId: row.id, from: row.state, to: 'Running' });
    }
  }

  for (const r of rows) {
    if (r.deleted || !r.containerId || r.state === 'Pending' || r.state === 'Stopping') continue;
    if (!containerById.has(r.containerId)) actions.push({ kind: 'removed', sandboxId: r.id, containerId: r.containerId });
  }
  return actions;
}
