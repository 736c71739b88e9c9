import type { Deps } from '../deps.js';

/**
 * Run `work` with `id` marked as this process's work in progress (Deps.inFlight), so the reaper leaves the
 * row alone while it runs and takes it over as soon as it ended without finishing (an outage, a crash of
 * the request). Nested marks of one id (a reaper pass inside a delete) keep it marked until the outer ends.
 */
export async function whileInFlight<T>(deps: Pick<Deps, 'inFlight'>, id: string, work: () => Promise<T>): Promise<T> {
  if (deps.inFlight.has(id)) return work();
  deps.inFlight.add(id);
  try {
    return await work();
  } finally {
    deps.inFlight.delete(id);
  }
}
