import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from '../../src/domain/error-codes.js';

const SRC = new URL('../../src', import.meta.url).pathname;
const REGISTRY = join(SRC, 'domain', 'error-codes.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const sources = sourceFiles(SRC).filter((f) => f !== REGISTRY);
const text = sources.map((f) => readFileSync(f, 'utf8')).join('\n');

describe('the error-code registry', () => {
  it('lists every namespaced code the source names (the typed helpers catch the rest at compile time)', () => {
    const named = new Set([...text.matchAll(/'([A-Z]+::[A-Z_]+)'/g)].map((m) => m[1]!));
    const unlisted = [...named].filter((c) => !isErrorCode(c));
    expect(unlisted).toEqual([]);
  });

  it('holds no code that nothing raises', () => {
    const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('gives every code a kind and a meaning', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(entry.kinds.length, code).toBeGreaterThan(0);
      expect(entry.meaning.length, code).toBeGreaterThan(10);
    }
  });
});
