import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CommandOutcome, Metrics } from '../domain/metrics.js';

/**
 * The Prometheus side of the Metrics port, with its own registry (never prom-client's global one, so
 * two apps in one test process do not collide). The sandboxes-by-state gauge is not kept in memory:
 * render() asks the database at scrape time.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly sandboxes = new Gauge({
    name: 'berth_sandboxes',
    help: 'Live sandboxes by state (read from the database at scrape time).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly createSeconds = new Histogram({
    name: 'berth_sandbox_create_duration_seconds',
    help: 'POST /sandboxes from request to Running (or failure), in seconds.',
    labelNames: ['outcome'] as const,
    // the floor is Docker's create+start (~0.2 s); a cold image pull can take a minute
    buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly reaperRuns = new Counter({
    name: 'berth_reaper_runs_total',
    help: 'Reaper passes over expired sandboxes.',
    registers: [this.registry],
  });
  private readonly reaperClaimed = new Counter({
    name: 'berth_reaper_claimed_total',
    help: 'Expired sandboxes claimed for removal by the reaper.',
    registers: [this.registry],
  });

  private readonly execdCommands = new Histogram({
    name: 'berth_execd_command_duration_seconds',
    help:
      'execd commands from start to exit, by kind (foreground, background, session) and outcome ' +
      '(ok = exit 0, error = another exit code, killed = timeout or interrupt, unknown = no exit seen).',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600],
    registers: [this.registry],
  });
  private readonly execdBytes = new Counter({
    name: 'berth_execd_file_bytes_total',
    help: 'Bytes moved by execd file calls: upload (into sandboxes) and download (out of them).',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  private readonly poolClaims = new Counter({
    name: 'berth_pool_claims_total',
    help: 'Creates a warm pool could answer, by pool and outcome: hit (claimed), miss (no idle slot), unfit (poolRef but a cold create).',
    labelNames: ['pool', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly poolIdleGauge = new Gauge({
    name: 'berth_pool_idle_sandboxes',
    help: 'Idle warm-pool sandboxes on this host, by pool, as the filler last counted them.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  observeCreate(seconds: number, outcome: 'ok' | 'error'): void {
    this.createSeconds.observe({ outcome }, seconds);
  }

  reaperRun(claimed: number): void {
    this.reaperRuns.inc();
    if (claimed > 0) this.reaperClaimed.inc(claimed);
  }

  execdCommand(kind: 'foreground' | 'background' | 'session', outcome: CommandOutcome, seconds: number): void {
    this.execdCommands.observe({ kind, outcome }, seconds);
  }

  execdFileBytes(direction: 'upload' | 'download', bytes: number): void {
    if (bytes > 0) this.execdBytes.inc({ direction }, bytes);
  }

  poolClaim(pool: string, outcome: 'hit' | 'miss' | 'unfit'): void {
    this.poolClaims.inc({ pool, outcome });
  }

  poolIdle(pool: string, idle: number): void {
    this.poolIdleGauge.set({ pool }, idle);
  }

  /** The exposition text; `countByState` is the SQL group-by (domain/sandbox/count-by-state.ts). */
  async render(countByState: () => Promise<Record<string, number>>): Promise<string> {
    const counts = await countByState();
    this.sandboxes.reset();
    for (const [state, n] of Object.entries(counts)) this.sandboxes.set({ state }, n);
    return this.registry.metrics();
  }
}

export const createPromMetrics = (opts?: { processMetrics?: boolean }) => new PrometheusMetrics(opts);
