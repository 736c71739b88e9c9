import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import { settle, transition } from './claim.js';

type PauseDeps = Pick<Deps, 'db' | 'clock' | 'ids' | 'processId' | 'runtime' | 'log'>;

/** Running -> Pausing (committed) -> docker pause -> Paused. A second pause is a 409, never a 500. */
export async function pauseSandbox(deps: PauseDeps, id: string, actor: string): Promise<void> {
  const before = await transition(deps, id, {
    from: ['Running'],
    to: 'Pausing',
    reason: 'pausing',
    message: 'Sandbox is being paused.',
    refuse: (r) => conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${id} is ${r.state}; only a Running sandbox can be paused.`),
  });
  try {
    await deps.runtime.pause(before.containerId ?? '');
  } catch (err) {
    await settle(deps, id, { from: 'Pausing', to: 'Running', reason: 'CONTAINER_RUNNING', message: 'Pause failed; sandbox is still running.' });
    throw err;
  }
  await settle(deps, id, {
    from: 'Pausing',
    to: 'Paused',
    reason: 'CONTAINER_PAUSED',
    message: 'Sandbox container is paused.',
    event: { type: 'sandbox.paused', actor },
    eventFrom: 'Running',
  });
}

/** Paused -> Resuming -> docker unpause -> Running. Resuming a running sandbox is a 409. */
export async function resumeSandbox(deps: PauseDeps, id: string, actor: string): Promise<void> {
  const before = await transition(deps, id, {
    from: ['Paused'],
    to: 'Resuming',
    reason: 'resuming',
    message: 'Sandbox is being resumed.',
    refuse: (r) => conflict('DOCKER::SANDBOX_NOT_PAUSED', `Sandbox ${id} is ${r.state}; only a Paused sandbox can be resumed.`),
  });
  try {
    await deps.runtime.unpause(before.containerId ?? '');
  } catch (err) {
    await settle(deps, id, { from: 'Resuming', to: 'Paused', reason: 'CONTAINER_PAUSED', message: 'Resume failed; sandbox is still paused.' });
    throw err;
  }
  await settle(deps, id, {
    from: 'Resuming',
    to: 'Running',
    reason: 'CONTAINER_RUNNING',
    message: 'Sandbox container is running.',
    event: { type: 'sandbox.resumed', actor },
    eventFrom: 'Paused',
  });
}
