import type { Deps } from '../deps.js';
import { observeContainerEvent } from './observe-container.js';
import { reconcileSandboxesOnce } from '../reconcile/reconcile-sandboxes.js';

/**
 * Keep rows fresh from Docker's event stream. Events are applied one at a time in arrival order. When
 * the stream breaks, resubscribe after a pause and reconcile once, since events were missed meanwhile.
 */
export function watchContainers(deps: Deps): { stop: () => void } {
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let queue: Promise<void> = Promise.resolve();
  const connect = () => {
    if (stopped) return;
    unsubscribe = deps.runtime.subscribe(
      deps.instanceId,
      (e) => {
        queue = queue
          .then(() => observeContainerEvent(deps, e))
          .catch((err) => deps.log.error({ err: String(err), action: e.action }, 'could not apply a container event'));
      },
      (err) => {
        if (stopped) return;
        deps.log.warn({ err: String(err) }, 'docker event stream lost; resubscribing');
        unsubscribe?.();
        setTimeout(() => {
          connect();
          reconcileSandboxesOnce(deps).catch((e) => deps.log.error({ err: String(e) }, 'reconcile after event stream loss failed'));
        }, 1000);
      },
    );
  };
  connect();
  return {
    stop: () => {
      stopped = true;
      unsubscribe?.();
    },
  };
}
