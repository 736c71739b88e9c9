import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from '../../src/domain/execd/commands/lines.js';
import { finalEvent } from '../../src/domain/execd/commands/outcome.js';
import { parseTrailer, stateEnv } from '../../src/domain/execd/sessions.js';

const split = (...chunks: (string | Buffer)[]) => {
  const s = new LineSplitter();
  const out = chunks.flatMap((c) => s.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
  return [...out, ...s.end()];
};

describe('execd line framing', () => {
  it('ends lines at \\n, \\r and \\r\\n (also across chunks), strips terminators, sends empty lines as "\\n"', () => {
    expect(split('a\nb\n')).toEqual(['a', 'b']);
    expect(split('a\r\nb\rc')).toEqual(['a', 'b', 'c']);
    expect(split('a\r', '\nb')).toEqual(['a', 'b']);
    expect(split('a\n\n\nb')).toEqual(['a', '\n', '\n', 'b']);
    expect(split('par', 'tial')).toEqual(['partial']);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('ü€\n');
    expect(split(bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3))).toEqual(['ü€']);
  });

  it('closes with execution_complete for exit 0 and an error carrying the exit code otherwise', () => {
    expect(finalEvent(0, null, 100, 150)).toEqual({ type: 'execution_complete', execution_time: 50, timestamp: 150 });
    expect(finalEvent(3, 'exit status 3', 0, 1)).toMatchObject({
      type: 'error',
      error: { ename: 'CommandExecError', evalue: '3', traceback: ['exit status 3'] },
    });
    expect(finalEvent(null, 'lost', 0, 1)).toMatchObject({ error: { evalue: 'lost' } });
  });

  it("reads a session run's trailer: the exported environment, then the directory", () => {
    expect(parseTrailer("export A='1'\nexport B='x y'\n__BERTH_SESSION_CWD__\n/etc\n")).toEqual({ env: "export A='1'\nexport B='x y'\n", cwd: '/etc' });
    expect(parseTrailer('__BERTH_SESSION_CWD__\n/\n')).toEqual({ env: '', cwd: '/' });
    expect(parseTrailer('')).toBeNull();
    expect(parseTrailer('x__BERTH_SESSION_CWD__\n/etc\n')).toBeNull();
  });

  it("cuts a session's saved state into variables of 32 Ki characters, never inside a surrogate pair", () => {
    expect(stateEnv('')).toEqual({});
    const state = `${'a'.repeat(32 * 1024 - 1)}😀${'b'.repeat(40_000)}`;
    const env = stateEnv(state);
    expect(Object.keys(env)).toEqual(['__BERTH_SESSION_ENV_0', '__BERTH_SESSION_ENV_1', '__BERTH_SESSION_ENV_2']);
    expect(env.__BERTH_SESSION_ENV_0).toBe('a'.repeat(32 * 1024 - 1));
    expect(env.__BERTH_SESSION_ENV_1!.startsWith('😀')).toBe(true);
    expect(Object.values(env).join('')).toBe(state);
    expect(Math.max(...Object.values(env).map((v) => v.length))).toBeLessThanOrEqual(32 * 1024);
  });
});

describe('execd line framing: a line without end', () => {
  const splitMax = (max: number, ...chunks: string[]) => {
    const s = new LineSplitter(max);
    const out = chunks.flatMap((c) => s.push(Buffer.from(c)));
    return [...out, ...s.end()];
  };

  it('sends a line longer than the limit in pieces as its bytes arrive, with no empty line after a cut', () => {
    const s = new LineSplitter(4);
    expect(s.push(Buffer.from('abcdefghij'))).toEqual(['abcd', 'efgh']);
    expect(s.push(Buffer.from('kl\nmn'))).toEqual(['ijkl']);
    expect(s.end()).toEqual(['mn']);
    expect(splitMax(4, 'abcd', '\n', 'x\n')).toEqual(['abcd', 'x']);
    expect(splitMax(4, 'abcd', '\r\n', '\n')).toEqual(['abcd', '\n']);
    expect(splitMax(4, 'abcdefgh\nij')).toEqual(['abcd', 'efgh', 'ij']);
    expect(splitMax(4, 'abcdefghi\n')).toEqual(['abcd', 'efgh', 'i']);
  });

  it('never cuts a character in two', () => {
    expect(splitMax(4, 'abc😀d\n')).toEqual(['abc', '😀d']);
  });

  it('holds at most the limit, whatever the output: 50 MB with no newline comes out whole, in pieces', () => {
    const s = new LineSplitter();
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let total = 0;
    let longest = 0;
    for (let i = 0; i < 763; i++)
      for (const piece of s.push(chunk)) {
        total += piece.length;
        longest = Math.max(longest, piece.length);
      }
    for (const piece of s.end()) total += piece.length;
    expect(total).toBe(763 * 64 * 1024);
    expect(longest).toBe(MAX_LINE_CHARS);
  });
});
