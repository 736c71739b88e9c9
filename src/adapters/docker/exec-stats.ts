import type { ContainerStats } from '../../domain/execd/port.js';

type Cpu = { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };

/**
 * One `stats?stream=false` answer as execd's metrics: CPU % over the engine's two readings (scaled to the
 * sandbox's CPU count, so 100 means every CPU it may use is busy), memory without the reclaimable file cache
 * (`inactive_file` on cgroup v2, `total_inactive_file` on v1), the limit (host RAM when unlimited).
 */
export function statsSample(raw: Record<string, unknown>, nanoCpus: number): ContainerStats {
  const cpu = (raw.cpu_stats ?? {}) as Cpu;
  const pre = (raw.precpu_stats ?? {}) as Cpu;
  const online = cpu.online_cpus ?? cpu.cpu_usage?.percpu_usage?.length ?? 1;
  const cpuCount = nanoCpus > 0 ? nanoCpus / 1e9 : online;
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const hostPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const cpuUsedPercent = Math.min(100, Math.max(0, hostPercent / cpuCount));
  const mem = (raw.memory_stats ?? {}) as { usage?: number; limit?: number; stats?: Record<string, number> };
  const cache = mem.stats?.inactive_file ?? mem.stats?.total_inactive_file ?? 0;
  const used = Math.max(0, (mem.usage ?? 0) - cache);
  return { cpuCount, cpuUsedPercent, memoryTotalBytes: mem.limit ?? 0, memoryUsedBytes: used, at: new Date(String(raw.read ?? Date.now())) };
}
