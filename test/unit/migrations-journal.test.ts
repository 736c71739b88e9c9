import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import journal from '../../migrations/meta/_journal.json' with { type: 'json' };

// drizzle applies only entries newer than the newest applied `when`: an entry merged with an older
// timestamp would be skipped silently in production (drizzle-orm#5316).
describe('migrations journal', () => {
  it('has strictly increasing timestamps and a SQL file for every entry', () => {
    const whens = journal.entries.map((e) => e.when);
    for (let i = 1; i < whens.length; i++) expect(whens[i]!).toBeGreaterThan(whens[i - 1]!);
    for (const e of journal.entries) expect(existsSync(new URL(`../../migrations/${e.tag}.sql`, import.meta.url))).toBe(true);
  });
});
