import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LIVE_MOUNT_STATES, MOUNT_STATES } from '../../src/db/schema/mounts.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));
const sqlText = readdirSync(MIGRATIONS)
  .filter((f) => f.endsWith('.sql'))
  .map((f) => readFileSync(MIGRATIONS + f, 'utf8'))
  .join('\n');

describe('mount states: one constant, and the SQL agrees with it', () => {
  it('live states are a subset of all states', () => {
    for (const s of LIVE_MOUNT_STATES) expect(MOUNT_STATES).toContain(s);
  });

  it('every live-state list the migrations spell out is exactly LIVE_MOUNT_STATES', () => {
    const lists = [...sqlText.matchAll(/state"?\s+(?:in|IN)\s*\(([^)]*'absent'[^)]*)\)/g)].map((m) =>
      m[1]!.split(',').map((s) => s.trim().replace(/^'|'$/g, '')),
    );
    expect(lists.length).toBeGreaterThanOrEqual(2); // the unique index (0002) and the join function (0006)
    for (const l of lists) expect(l).toEqual([...LIVE_MOUNT_STATES]);
  });
});
