import type { ContainerStats } from '../../domain/execd/port.js';

type Cpu = { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
type Mem = { usage?: number; limit?: number; stats?: Record<string, number> };

/**
 * One `stats?stream=false` answer as execd's metrics: CPU % over the engine's two readings (scaled to the
 * sandbox's CPU count, so 100 means every CPU it may use is busy), memory without the reclaimable file cache
 * (`total_inactive_file` on cgroup v1, `inactive_file` on v2, as the docker CLI computes it), the limit (host
 * RAM when unlimited).
 */
export function statsSample(raw: Record<string, unknown>, nanoCpus: number): ContainerStats {
  const cpu = (raw.cpu_stats ?? {}) as Cpu;
  const pre = (raw.precpu_stats ?? {}) as Cpu;
  // online_cpus is missing on old engines and 0 for a stopped container: never divide by it unchecked.
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 1;
  const cpuCount = nanoCpus > 0 ? nanoCpus / 1e9 : online;
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const hostPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const cpuUsedPercent = Math.min(100, Math.max(0, hostPercent / cpuCount));
  const mem = (raw.memory_stats ?? {}) as Mem;
  const usage = mem.usage ?? 0;
  return {
    cpuCount,
    cpuUsedPercent,
    memoryTotalBytes: mem.limit ?? 0,
    memoryUsedBytes: Math.max(0, usage - inactiveFile(mem, usage)),
    at: readAt(raw.read),
  };
}

/** v1 reports both keys (total_ is the hierarchical one, the CLI's choice); v2 only inactive_file. */
function inactiveFile(mem: Mem, usage: number): number {
  const v1 = mem.stats?.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return v1;
  const v2 = mem.stats?.inactive_file;
  return v2 !== undefined && v2 < usage ? v2 : 0;
}

/** The engine's sample time; a missing or zero time ("0001-01-01T00:00:00Z") is now. */
function readAt(read: unknown): Date {
  const at = typeof read === 'string' ? new Date(read) : new Date(Number.NaN);
  return Number.isNaN(at.getTime()) || at.getTime() <= 0 ? new Date() : at;
}
