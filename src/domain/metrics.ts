/** What the domain reports; the Prometheus adapter implements it, tests use a no-op. */
export interface Metrics {
  observeCreate(seconds: number, outcome: 'ok' | 'error'): void;
  reaperRun(claimed: number): void;
  /** the exposition format's content type, for GET /metrics */
  readonly contentType: string;
  /** the exposition text; `countByState` is the SQL group-by (domain/sandbox/count-by-state.ts) */
  render(countByState: () => Promise<Record<string, number>>): Promise<string>;
}

export const noopMetrics: Metrics = { observeCreate: () => {}, reaperRun: () => {}, contentType: 'text/plain', render: async () => '' };
