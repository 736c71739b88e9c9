import { describe, expect, it } from 'vitest';
import { statsSample } from '../../src/adapters/docker/exec-stats.js';
import { metricsWire } from '../../src/domain/execd/metrics.js';

const MIB = 1024 * 1024;

// Trimmed from real `stats?stream=false` answers: Docker 20.10 on cgroup v1 (percpu_usage, total_* keys)
// and a cgroup v2 engine (no percpu_usage, flat keys, online_cpus only).
const v1 = {
  read: '2026-06-12T10:00:01.5Z',
  cpu_stats: { cpu_usage: { total_usage: 3_000_000_000, percpu_usage: [1, 2, 3, 4] }, system_cpu_usage: 108_000_000_000, online_cpus: 4 },
  precpu_stats: { cpu_usage: { total_usage: 2_000_000_000, percpu_usage: [1, 2, 3, 4] }, system_cpu_usage: 104_000_000_000, online_cpus: 4 },
  memory_stats: { usage: 300 * MIB, limit: 256 * MIB * 4, stats: { inactive_file: 90 * MIB, total_inactive_file: 100 * MIB, cache: 120 * MIB } },
};
const v2 = {
  read: '2026-06-12T10:00:01.5Z',
  cpu_stats: { cpu_usage: { total_usage: 5_500_000_000 }, system_cpu_usage: 208_000_000_000, online_cpus: 8 },
  precpu_stats: { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 200_000_000_000, online_cpus: 8 },
  memory_stats: { usage: 64 * MIB, limit: 256 * MIB, stats: { inactive_file: 16 * MIB, anon: 40 * MIB } },
};

describe('statsSample (docker stats -> execd metrics)', () => {
  it('cgroup v1: total_inactive_file is the cache, CPU scaled to online_cpus when no NanoCpus', () => {
    const s = statsSample(v1, 0);
    // 1e9 of 4e9 host ns = 25% of the host = 100% of one CPU; the sandbox may use all 4 -> 25%.
    expect(s.cpuCount).toBe(4);
    expect(s.cpuUsedPercent).toBeCloseTo(25, 5);
    expect(s.memoryUsedBytes).toBe(200 * MIB);
    expect(s.memoryTotalBytes).toBe(1024 * MIB);
    expect(s.at.toISOString()).toBe('2026-06-12T10:00:01.500Z');
  });

  it('cgroup v2: inactive_file is the cache, CPU relative to the NanoCpus limit', () => {
    const s = statsSample(v2, 2e9);
    // 4e9 of 8e9 = 50% of 8 CPUs = 400% of one CPU; the limit is 2 CPUs -> capped at 100.
    expect(s.cpuCount).toBe(2);
    expect(s.cpuUsedPercent).toBe(100);
    expect(statsSample(v2, 8e9).cpuUsedPercent).toBeCloseTo(50, 5);
    expect(s.memoryUsedBytes).toBe(48 * MIB);
    expect(s.memoryTotalBytes).toBe(256 * MIB);
  });

  it('an idle or just-started sample (no precpu, no online_cpus, no read time) stays in range', () => {
    const before = Date.now();
    const s = statsSample({ cpu_stats: { cpu_usage: { total_usage: 10 } }, precpu_stats: {}, memory_stats: { usage: 5 * MIB, limit: 10 * MIB } }, 0);
    expect(s.cpuCount).toBe(1);
    expect(s.cpuUsedPercent).toBe(0);
    expect(s.memoryUsedBytes).toBe(5 * MIB);
    expect(s.at.getTime()).toBeGreaterThanOrEqual(before);
    expect(statsSample({ read: '0001-01-01T00:00:00Z' }, 0).at.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('a cache figure above usage is ignored rather than driving used memory negative', () => {
    const s = statsSample({ memory_stats: { usage: 10 * MIB, limit: 100 * MIB, stats: { total_inactive_file: 50 * MIB, inactive_file: 4 * MIB } } }, 0);
    expect(s.memoryUsedBytes).toBe(6 * MIB);
  });

  it('metricsWire renders the upstream field names in MiB and ms', () => {
    expect(metricsWire(statsSample(v1, 0))).toEqual({
      cpu_count: 4,
      cpu_used_pct: 25,
      mem_total_mib: 1024,
      mem_used_mib: 200,
      timestamp: Date.parse('2026-06-12T10:00:01.5Z'),
    });
  });
});
