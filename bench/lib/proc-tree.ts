import { readdirSync, readFileSync } from 'node:fs';
import { statFields } from './proc.js';

/**
 * Memory of a set of processes, summed. RSS counts a shared page once per process that maps it, so a
 * postmaster and its backends (which all map the shared buffers) are over-counted by a plain RSS sum;
 * PSS divides each shared page among its mappers, so the PSS sum is what the group costs the machine.
 */
export type GroupMemory = { pids: number; rssMb: number; pssMb: number };

function parentOf(pid: number): number | undefined {
  try {
    return Number(statFields(pid)[1]);
  } catch {
    return undefined;
  }
}

/** The given processes and all their descendants (read from /proc). */
export function withDescendants(roots: number[]): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const p = parentOf(pid);
    if (p !== undefined) parent.set(pid, p);
  }
  const out = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of parent) {
      if (!out.has(pid) && out.has(p)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return [...out];
}

function kbField(text: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
}

export function groupMemory(pids: number[]): GroupMemory {
  let rss = 0;
  let pss = 0;
  let n = 0;
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += kbField(rollup, 'Rss');
      pss += kbField(rollup, 'Pss');
      n++;
    } catch {
      /* exited meanwhile */
    }
  }
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  return { pids: n, rssMb: mb(rss), pssMb: mb(pss) };
}
