/** What the domain reports; the Prometheus adapter implements it, tests use a no-op. */
export interface Metrics {
  observeCreate(seconds: number, outcome: 'ok' | 'error'): void;
  reaperRun(claimed: number): void;
  /** an execd command finished: how it ended and how long it ran */
  execdCommand(kind: 'foreground' | 'background' | 'session', outcome: 'ok' | 'error', seconds: number): void;
  /** bytes moved by execd file calls ('upload' into the sandbox, 'download' out of it) */
  execdFileBytes(direction: 'upload' | 'download', bytes: number): void;
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
  contentType: 'text/plain',
  render: async () => '',
};
