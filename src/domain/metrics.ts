/** What the domain reports; the Prometheus adapter implements it, tests use a no-op. */
export interface Metrics {
  observeCreate(seconds: number, outcome: 'ok' | 'error'): void;
  reaperRun(claimed: number): void;
}

export const noopMetrics: Metrics = { observeCreate: () => {}, reaperRun: () => {} };
