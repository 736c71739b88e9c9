/**
 * A small seeded generator (mulberry32): the same seed replays the same run, request for request, so a
 * failure printed with its seed can be reproduced with BERTH_FUZZ_SEED=<seed>.
 */
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.int(items.length)]!;
  }

  /** an independent generator for one request, so a request's content does not depend on timing */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296));
  }
}

/** BERTH_FUZZ_SEED (decimal or 0x hex) or a fresh one. */
export function seedFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.BERTH_FUZZ_SEED?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`BERTH_FUZZ_SEED must be an integer 0..4294967295, not '${raw}'`);
    return n;
  }
  return Math.floor(Math.random() * 4294967296);
}
