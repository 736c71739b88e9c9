/**
 * Resource limits as upstream parses them (services/helpers.py): invalid values are ignored, not refused,
 * so a client that worked against upstream keeps working here. The caller logs what was ignored.
 */
export type ParsedLimits = { nanoCpus?: number; memoryBytes?: number; gpuCount?: number; pids?: number; ignored: string[] };

const MEMORY = /^\s*(\d+)([kmgti]i?|[kmgti]?b)?\s*$/i;
const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY: Record<string, number> = { ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40 };

export function parseCpu(v: string): number | undefined {
  const s = v.trim();
  let cpus: number;
  if (/^\d+m$/.test(s)) cpus = Number(s.slice(0, -1)) / 1000;
  else if (/^\d+(\.\d+)?$/.test(s)) cpus = Number(s);
  else return undefined;
  if (!(cpus > 0)) return undefined;
  return Math.floor(cpus * 1e9);
}

export function parseMemory(v: string): number | undefined {
  const m = MEMORY.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  let bytes: number;
  if (unit === '' || unit === 'b') bytes = n;
  else if (unit in BINARY) bytes = n * BINARY[unit]!;
  else bytes = n * DECIMAL[unit[0]!]!; // k, kb, m, mb, ...
  return bytes > 0 ? bytes : undefined;
}

export function parseGpu(v: string): number | undefined {
  if (v.trim().toLowerCase() === 'all') return -1;
  if (!/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n > 0 ? n : undefined;
}

/** A process-count limit (berth's addition to upstream's keys): a positive integer. */
export function parsePids(v: string): number | undefined {
  if (!/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

export function parseResourceLimits(limits: Record<string, string>): ParsedLimits {
  const out: ParsedLimits = { ignored: [] };
  for (const [k, v] of Object.entries(limits)) {
    if (k === 'cpu') {
      out.nanoCpus = parseCpu(v);
      if (out.nanoCpus === undefined) out.ignored.push(k);
    } else if (k === 'memory') {
      out.memoryBytes = parseMemory(v);
      if (out.memoryBytes === undefined) out.ignored.push(k);
    } else if (k === 'pids') {
      out.pids = parsePids(v);
      if (out.pids === undefined) out.ignored.push(k);
    } else if (k === 'gpu') {
      out.gpuCount = parseGpu(v);
      if (out.gpuCount === undefined) out.ignored.push(k);
    } else {
      out.ignored.push(k);
    }
  }
  return out;
}
