import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import { claimDue } from './claim.js';
import { deliverGroup, type DeliverOptions } from './deliver.js';
import { fanoutOnce } from './fanout.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from './policy.js';
import { pruneOnce } from './prune.js';

export type WebhookLoopOptions = DeliverOptions & {
  policy?: DeliveryPolicy;
  /** idle polling interval; a tick also runs as soon as an endpoint's run finishes */
  intervalMs?: number;
  pruneIntervalMs?: number;
  /** deliveries this process has leased and not yet settled, at most */
  maxInFlight?: number;
};

type LoopDeps = Pick<Deps, 'db' | 'clock' | 'ids' | 'config' | 'processId' | 'log' | 'webhookTransport' | 'webhookSecrets'>;

/**
 * The webhook scheduler: every tick fans out new events, claims due deliveries and starts each endpoint's
 * run without waiting for it (a slow receiver must not hold up the others), and now and then prunes.
 * Ticks never overlap. Returns stop(): it aborts requests in flight (their deliveries go back to pending, to be
 * sent again by whoever runs next) and waits for the runs to hand their leases back.
 */
export function startWebhookLoops(deps: LoopDeps, opts: WebhookLoopOptions = {}): () => Promise<void> {
  const p = opts.policy ?? DEFAULT_POLICY;
  const intervalMs = opts.intervalMs ?? 50;
  const pruneIntervalMs = opts.pruneIntervalMs ?? 10 * 60_000;
  const maxInFlight = opts.maxInFlight ?? 500;
  const log = deps.log.child({ loop: 'webhooks' });
  const runs = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  const runOpts = { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, stopping.signal]) : stopping.signal };
  let inFlight = 0;
  let stopped = false;
  let running = false;
  let again = false;
  let lastPrune = 0;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), ms);
  };
  const wake = () => (running ? (again = true) : schedule(0));

  async function tick() {
    if (stopped || running) return;
    running = true;
    try {
      while ((await fanoutOnce(deps)).events >= 500 && !stopped) {
        /* a backlog: keep going before claiming */
      }
      if (inFlight < maxInFlight && !stopped) {
        const groups = await claimDue(deps, { ...p, claimLimit: Math.min(p.claimLimit, maxInFlight - inFlight) });
        for (const g of groups) {
          const n = g.deliveries.length;
          inFlight += n;
          const run = deliverGroup(deps, p, g, runOpts)
            .catch((err) => log.warn({ err: describe(err), endpointId: g.endpointId }, 'webhook delivery run failed'))
            .finally(() => {
              inFlight -= n;
              runs.delete(run);
              wake();
            });
          runs.add(run);
        }
      }
      if (Date.now() - lastPrune >= pruneIntervalMs && !stopped) {
        lastPrune = Date.now();
        const pruned = await pruneOnce(deps);
        if (pruned.events + pruned.deliveries > 0) log.info(pruned, 'pruned old events and deliveries');
      }
    } catch (err) {
      log.warn({ err: describe(err) }, 'webhook loop step failed');
    } finally {
      running = false;
      const next = again ? 0 : intervalMs;
      again = false;
      schedule(next);
    }
  }

  schedule(0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    stopping.abort(); // requests in flight end now; their deliveries go back to pending
    while (running) await sleep(5);
    await Promise.allSettled([...runs]);
  };
}

// drizzle's query errors quote the SQL and its parameters; log the database's own message only.
function describe(err: unknown): string {
  const e = err as { cause?: { message?: string; code?: string }; name?: string; message?: string };
  if (e?.cause?.message) return `${e.cause.code ?? ''} ${e.cause.message}`.trim();
  return e?.name === 'DrizzleQueryError' ? 'database error' : String(e?.message ?? err);
}
