import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../src/domain/execd/files/glob.js';

const cases: [pattern: string, name: string, expected: boolean][] = [
  ['**', 'anything.txt', true],
  ['**', '', true],
  ['*.go', 'main.go', true],
  ['*.go', 'main.gox', false],
  ['*.go', 'a/main.go', false],
  ['**/*.go', 'main.go', true],
  ['**/*.go', 'a/b/main.go', true],
  ['a/**', 'a', true],
  ['a/**', 'a/b/c', true],
  ['?.txt', 'a.txt', true],
  ['?.txt', 'ab.txt', false],
  ['[abc].txt', 'b.txt', true],
  ['[abc].txt', 'd.txt', false],
  ['[a-c]x', 'bx', true],
  ['[!a-c]x', 'bx', false],
  ['[^a-c]x', 'dx', true],
  ['{foo,bar}.js', 'bar.js', true],
  ['{foo,bar}.js', 'baz.js', false],
  ['*.{ts,tsx}', 'x.tsx', true],
  ['{a,b{c,d}}', 'bd', true],
  ['\\*', '*', true],
  ['\\*', 'x', false],
  ['a.b', 'axb', false], // a dot is literal
  ['(x)+', '(x)+', true], // regex syntax is literal
  ['$HOME', '$HOME', true],
  ['spaces in *', 'spaces in name', true],
  ['日本*', '日本語.txt', true],
  ['[', '[', false], // malformed: matches nothing instead of throwing
  ['{a,b', 'a', false],
];

describe('doublestar glob', () => {
  it.each(cases)('%s vs %s → %s', (pattern, name, expected) => {
    expect(globMatcher(pattern)(name)).toBe(expected);
  });
});
