import type { Deps } from '../deps.js';
import { conflict, isDomainError } from '../errors.js';
import type { ContainerStats } from './port.js';
import { execTarget } from './target.js';

/** execd's `Metrics` wire shape (specs/execd-api.yaml): sizes in MiB, the time in ms. */
export type MetricsWire = { cpu_count: number; cpu_used_pct: number; mem_total_mib: number; mem_used_mib: number; timestamp: number };

const MIB = 1024 * 1024;
/** Upstream's watch sleeps 1 s and then samples for 1 s; the engine's own sample also takes ~1 s. */
export const WATCH_INTERVAL_MS = 2000;

export function metricsWire(s: ContainerStats): MetricsWire {
  return {
    cpu_count: s.cpuCount,
    cpu_used_pct: round2(s.cpuUsedPercent),
    mem_total_mib: round2(s.memoryTotalBytes / MIB),
    mem_used_mib: round2(Math.min(s.memoryUsedBytes, s.memoryTotalBytes) / MIB),
    timestamp: s.at.getTime(),
  };
}

/**
 * One sample of the sandbox's own cgroup (not the host, as upstream's in-container execd reports). A paused
 * container still has stats, so paused is allowed; if the engine refuses anyway that is a 409, not a 500.
 */
export async function sandboxMetrics(deps: Pick<Deps, 'db' | 'config' | 'exec'>, sandboxId: string): Promise<MetricsWire> {
  const target = await execTarget(deps, sandboxId, { allowPaused: true });
  try {
    return metricsWire(await deps.exec.stats(target.containerId));
  } catch (e) {
    if (target.paused) throw conflict('SANDBOX_PAUSED', `Sandbox ${sandboxId} is paused and the engine gives no metrics for it.`);
    throw e;
  }
}

/**
 * GET /metrics/watch: one line per sample until `signal` aborts. A failed sample is reported as upstream does
 * (`{"error": ...}`, then go on); a sandbox that is gone ends the stream, since no later sample can succeed.
 */
export async function watchMetrics(
  deps: Pick<Deps, 'db' | 'config' | 'exec'>,
  sandboxId: string,
  emit: (line: string) => Promise<void>,
  signal: AbortSignal,
  opts: { skipFirst?: boolean } = {},
): Promise<void> {
  // skipFirst: the caller already sent a sample (taken before committing the headers), so wait first.
  if (opts.skipFirst) await sleep(WATCH_INTERVAL_MS, signal);
  while (!signal.aborted) {
    const started = Date.now();
    try {
      await emit(JSON.stringify(await sandboxMetrics(deps, sandboxId)));
    } catch (e) {
      if (signal.aborted) return;
      if (!isDomainError(e)) throw e;
      await emit(JSON.stringify({ error: e.message }));
      if (e.kind === 'not_found') return;
    }
    await sleep(Math.max(0, WATCH_INTERVAL_MS - (Date.now() - started)), signal);
  }
}

/** setTimeout that is cleared on abort, so a client that leaves mid-wait leaves no timer behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;
