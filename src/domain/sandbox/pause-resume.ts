import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import type { EventType } from '../events/types.js';
import { settle, transition } from './claim.js';
import type { CodeOf } from '../error-codes.js';

type PauseDeps = Pick<Deps, 'db' | 'clock' | 'ids' | 'processId' | 'runtime' | 'log'>;

type Toggle = {
  from: 'Running' | 'Paused';
  via: 'Pausing' | 'Resuming';
  to: 'Paused' | 'Running';
  refuseCode: CodeOf<'conflict'>;
  verb: string;
  event: EventType;
  docker: (deps: PauseDeps, containerId: string) => Promise<void>;
};

const PAUSE: Toggle = {
  from: 'Running',
  via: 'Pausing',
  to: 'Paused',
  refuseCode: 'DOCKER::SANDBOX_NOT_RUNNING',
  verb: 'paused',
  event: 'sandbox.paused',
  docker: (deps, id) => deps.runtime.pause(id),
};
const RESUME: Toggle = {
  from: 'Paused',
  via: 'Resuming',
  to: 'Running',
  refuseCode: 'DOCKER::SANDBOX_NOT_PAUSED',
  verb: 'resumed',
  event: 'sandbox.resumed',
  docker: (deps, id) => deps.runtime.unpause(id),
};

const reasonOf = (state: 'Running' | 'Paused') => (state === 'Paused' ? 'CONTAINER_PAUSED' : 'CONTAINER_RUNNING');

/**
 * from -> via (committed) -> docker call -> to. The committed intermediate state makes a second pause (or
 * resume) a 409 instead of a Docker error; a failed Docker call puts the row back where it was.
 */
async function toggle(deps: PauseDeps, id: string, actor: string, t: Toggle): Promise<void> {
  const before = await transition(deps, id, {
    from: [t.from],
    to: t.via,
    reason: t.via.toLowerCase(),
    message: `Sandbox is being ${t.verb}.`,
    refuse: (r) => conflict(t.refuseCode, `Sandbox ${id} is ${r.state}; only a ${t.from} sandbox can be ${t.verb}.`),
  });
  try {
    await t.docker(deps, before.containerId ?? '');
  } catch (err) {
    await settle(deps, id, { from: t.via, to: t.from, reason: reasonOf(t.from), message: `Could not be ${t.verb}; sandbox is still ${t.from.toLowerCase()}.` });
    throw err;
  }
  await settle(deps, id, {
    from: t.via,
    to: t.to,
    reason: reasonOf(t.to),
    message: `Sandbox container is ${t.to.toLowerCase()}.`,
    event: { type: t.event, actor },
    eventFrom: t.from,
  });
}

/** Running -> Paused. The TTL keeps running while paused, as upstream. */
export const pauseSandbox = (deps: PauseDeps, id: string, actor: string) => toggle(deps, id, actor, PAUSE);
/** Paused -> Running. Resuming a running sandbox is a 409. */
export const resumeSandbox = (deps: PauseDeps, id: string, actor: string) => toggle(deps, id, actor, RESUME);
