import { sql } from 'drizzle-orm';
import type { Db } from '../../ports.js';
import { rowsOf, textArray } from './mount-rows.js';

/** One of a sandbox's references, just deleted, and whether another reference to its mount plainly remains. */
export type DroppedRef = { mountId: string; held: boolean };

// Bounds one statement's parameter and the work one commit carries; a longer queue goes in several.
const MAX_BATCH = 256;

type Waiter = { sandboxId: string; resolve: (rows: DroppedRef[]) => void; reject: (err: unknown) => void };

/**
 * Delete sandboxes' references, many sandboxes per statement: while one statement is in flight, the
 * releases that arrive queue and go together in the next one (group commit, with no timer: a lone release
 * goes at once and never waits for company). A burst of deletes or a wave of expiries then costs one round
 * trip and one durable commit per batch instead of per sandbox. Each caller is answered only after the
 * statement carrying its sandbox committed.
 *
 * `held` treats the batch as one delete: a reference counts as still there only when it belongs to no
 * sandbox of the batch and no one is deleting it (xmax unset), so the last of racing releases of a mount
 * still always finds it unheld and asks claimUnreferenced (release.ts).
 */
export function dropSandboxRefs(db: Db, sandboxId: string): Promise<DroppedRef[]> {
  let queue = queues.get(db);
  if (!queue) queues.set(db, (queue = { waiting: [], flushing: false }));
  const q = queue;
  return new Promise((resolve, reject) => {
    q.waiting.push({ sandboxId, resolve, reject });
    if (!q.flushing) void flush(db, q);
  });
}

type Queue = { waiting: Waiter[]; flushing: boolean };
// One queue per database handle (a process normally has one); a WeakMap so a closed handle takes its queue along.
const queues = new WeakMap<Db, Queue>();

async function flush(db: Db, q: Queue): Promise<void> {
  q.flushing = true;
  try {
    while (q.waiting.length > 0) {
      const batch = q.waiting.splice(0, MAX_BATCH);
      try {
        const rows = await dropStatement(db, [...new Set(batch.map((w) => w.sandboxId))]);
        const answered = new Set<string>();
        for (const w of batch) {
          // The same sandbox released twice at once: the first caller gets its rows, the other nothing (as
          // if it came second), like two separate deletes would.
          const mine = answered.has(w.sandboxId) ? [] : rows.filter((r) => r.sandbox_id === w.sandboxId);
          answered.add(w.sandboxId);
          w.resolve(mine.map((r) => ({ mountId: r.mount_id, held: r.held })));
        }
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  } finally {
    q.flushing = false;
  }
}

async function dropStatement(db: Db, sandboxIds: string[]) {
  const ids = textArray(sandboxIds);
  return rowsOf<{ sandbox_id: string; mount_id: string; held: boolean }>(
    await db.execute(sql`with dropped as (delete from mount_refs where sandbox_id = any(${ids}::text[]) returning mount_id, sandbox_id)
      select d.sandbox_id, d.mount_id,
             exists (select 1 from mount_refs r where r.mount_id = d.mount_id and r.sandbox_id <> all(${ids}::text[]) and r.xmax = 0) as held
      from dropped d`),
  );
}
