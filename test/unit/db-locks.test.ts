import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOCK_KEYS } from '../../src/db/locks.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));

describe('advisory lock registry', () => {
  it('gives every lock its own key', () => {
    const values = Object.values(LOCK_KEYS);
    expect(new Set(values).size).toBe(values.length);
  });

  it('matches every advisory lock the SQL migrations take', () => {
    const taken: number[] = [];
    for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'))) {
      const text = readFileSync(MIGRATIONS + file, 'utf8');
      for (const m of text.matchAll(/pg_advisory_xact_lock(?:_shared)?\((\d+)/g)) taken.push(Number(m[1]));
    }
    expect(taken.length).toBeGreaterThan(0);
    for (const key of taken) expect(Object.values(LOCK_KEYS)).toContain(key);
    expect(taken).toContain(LOCK_KEYS.mountIdentityNamespace);
  });
});
