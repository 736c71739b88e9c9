/**
 * How a command ended, by its exit code: ok (0), error (any other exit the process chose or the engine
 * reported, 127 and 137 included), killed (berth's timeout or interrupt, reported as -1), unknown (no exit
 * code was seen: the container restarted or went away under it).
 */
export type CommandOutcome = 'ok' | 'error' | 'killed' | 'unknown';

/** What the domain reports; the Prometheus adapter implements it, tests use a no-op. */
export interface Metrics {
  observeCreate(seconds: number, outcome: 'ok' | 'error'): void;
  reaperRun(claimed: number): void;
  /** an execd command finished: how it ended and how long it ran */
  execdCommand(kind: 'foreground' | 'background' | 'session', outcome: CommandOutcome, seconds: number): void;
  /** bytes moved by execd file calls ('upload' into the sandbox, 'download' out of it) */
  execdFileBytes(direction: 'upload' | 'download', bytes: number): void;
  /** a create that a warm pool could answer: 'hit' (claimed), 'miss' (no idle slot here), 'unfit' (poolRef, but cold) */
  poolClaim(pool: string, outcome: 'hit' | 'miss' | 'unfit'): void;
  /** idle slots of a pool on this host, as the filler last counted them */
  poolIdle(pool: string, idle: number): void;
  /** the exposition format's content type, for GET /metrics */
  readonly contentType: string;
  /** the exposition text; `countByState` is the SQL group-by (domain/sandbox/count-by-state.ts) */
  render(countByState: () => Promise<Record<string, number>>): Promise<string>;
}

export const noopMetrics: Metrics = {
  observeCreate: () => {},
  reaperRun: () => {},
  execdCommand: () => {},
  execdFileBytes: () => {},
  poolClaim: () => {},
  poolIdle: () => {},
  contentType: 'text/plain',
  render: async () => '',
};
