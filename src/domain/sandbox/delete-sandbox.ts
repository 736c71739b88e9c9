import type { Deps } from '../deps.js';
import { transition } from './claim.js';
import { TRANSITION_LEASE_MS } from './create-sandbox.js';
import { SANDBOX_STATES } from './states.js';
import { whileInFlight } from './in-flight.js';
import { finishTeardown } from './teardown.js';

/**
 * Any live state may be deleted, Stopping included (a second DELETE finishes an interrupted one: every
 * teardown step is idempotent). Afterwards GET answers 404; the row stays as history.
 */
export async function deleteSandbox(deps: Deps, id: string, actor: string): Promise<void> {
  // Marked for the whole delete: if the database drops out after the Stopping commit, the reaper finishes
  // the teardown as soon as it is back, not when the 5-minute lease lapses.
  await whileInFlight(deps, id, () => stopAndTearDown(deps, id, actor));
}

async function stopAndTearDown(deps: Deps, id: string, actor: string): Promise<void> {
  const before = await transition(deps, id, {
    from: SANDBOX_STATES,
    to: 'Stopping',
    reason: 'user_delete',
    message: 'Sandbox is being deleted.',
    refuse: () => {
      throw new Error('unreachable: every state may be deleted');
    },
    lease: TRANSITION_LEASE_MS,
  });
  await finishTeardown(
    deps,
    { id, containerId: before.containerId, fromState: before.state },
    {
      reason: 'user_delete',
      message: 'Sandbox was deleted.',
      event: 'sandbox.deleted',
      actor,
    },
  );
}
