import { knownError } from './outage.js';
import type { Logger } from './ports.js';

/**
 * The thin scheduler behind every background loop: run `step` (an xxxOnce function), wait `intervalMs`,
 * repeat; never two runs of one loop at once, errors logged and the loop kept alive. Tests call the
 * step itself with a fixed clock instead of this.
 */
export function every(name: string, intervalMs: number, step: () => Promise<unknown>, log: Logger): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        await step();
      } catch (err) {
        // A lost database is expected during an outage: one short line with its code (a drizzle error's text
        // would quote the SQL and its parameters on every tick); the next tick tries again.
        const known = knownError(err);
        log.error({ loop: name, err: known ? `${known.code}: ${known.message}` : String(err) }, 'background step failed');
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  timer = setTimeout(tick, intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
