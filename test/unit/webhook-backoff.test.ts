import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, maxAttempts, nextDelayMs, parseRetryAfter, policyWith } from '../../src/domain/webhooks/policy.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('retry schedule', () => {
  it('follows the Standard Webhooks example schedule without jitter (random = 0.5)', () => {
    const delays = Array.from({ length: 9 }, (_, i) => nextDelayMs(DEFAULT_POLICY, i + 1, () => 0.5));
    expect(delays).toEqual([5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
    expect(maxAttempts(DEFAULT_POLICY)).toBe(10);
  });

  it('grows: every step is at least as long as the one before', () => {
    const d = DEFAULT_POLICY.scheduleMs;
    for (let i = 1; i < d.length; i++) expect(d[i]!).toBeGreaterThanOrEqual(d[i - 1]!);
  });

  it('jitter stays within ±20 % and actually varies', () => {
    expect(nextDelayMs(DEFAULT_POLICY, 1, () => 0)).toBe(4 * S);
    expect(nextDelayMs(DEFAULT_POLICY, 1, () => 1)).toBe(6 * S);
    const seen = new Set(Array.from({ length: 50 }, () => nextDelayMs(DEFAULT_POLICY, 2)));
    expect(seen.size).toBeGreaterThan(10);
    for (const v of seen) {
      expect(v!).toBeGreaterThanOrEqual(4 * M);
      expect(v!).toBeLessThanOrEqual(6 * M);
    }
  });

  it('gives up after the last step', () => {
    expect(nextDelayMs(DEFAULT_POLICY, 10, () => 0.5)).toBeNull();
    expect(nextDelayMs(policyWith({ scheduleMs: [] }), 1)).toBeNull();
  });

  it('honours a longer Retry-After, capped at the longest step; ignores a shorter one', () => {
    expect(nextDelayMs(DEFAULT_POLICY, 1, () => 0.5, 60 * S)).toBe(60 * S);
    expect(nextDelayMs(DEFAULT_POLICY, 1, () => 0.5, 1 * S)).toBe(5 * S);
    expect(nextDelayMs(DEFAULT_POLICY, 1, () => 0.5, 100 * H)).toBe(24 * H);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-11-28T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120 * S);
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:01:00 GMT', now)).toBe(60 * S);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
