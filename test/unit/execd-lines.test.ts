import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/domain/execd/commands/lines.js';
import { finalEvent } from '../../src/domain/execd/commands/outcome.js';
import { parseTrailer } from '../../src/domain/execd/sessions.js';

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
});
