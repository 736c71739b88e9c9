import { describe, expect, it } from 'vitest';
import { modeFromWire, modeToWire, relativeTo, sandboxPath } from '../../src/domain/execd/files/paths.js';
import { rangeOf } from '../../src/domain/execd/files/range.js';
import { replaceAll } from '../../src/domain/execd/files/replace.js';
import { relativeName } from '../../src/domain/execd/files/walk.js';
import { contentDisposition } from '../../src/http/routes/execd/files.js';

describe('sandbox paths', () => {
  it('are taken literally, relative to /, with .. resolved lexically', () => {
    expect(sandboxPath('/tmp/a')).toBe('/tmp/a');
    expect(sandboxPath('tmp/a/')).toBe('/tmp/a');
    expect(sandboxPath('/tmp/../../etc/./passwd')).toBe('/etc/passwd');
    expect(sandboxPath('/tmp/a$HOME ~x')).toBe('/tmp/a$HOME ~x');
    expect(sandboxPath('//')).toBe('/');
    expect(relativeTo('/', '/a/b')).toBe('a/b');
    expect(relativeTo('/a', '/a/b/c')).toBe('b/c');
  });
  it('refuse a name beyond NAME_MAX (255 bytes) and a path beyond PATH_MAX', () => {
    expect(sandboxPath(`/tmp/${'a'.repeat(255)}`)).toBe(`/tmp/${'a'.repeat(255)}`);
    expect(() => sandboxPath(`/tmp/${'a'.repeat(256)}`)).toThrow(/255 bytes/);
    expect(() => sandboxPath(`/tmp/${'é'.repeat(128)}`)).toThrow(/255 bytes/);
    expect(() => sandboxPath(`/${'a/'.repeat(2100)}`)).toThrow(/4095 bytes/);
  });
  it('refuse lone UTF-16 surrogates (no UTF-8 form to ask the engine about) but keep paired ones', () => {
    for (const p of ['\ud800', '/tmp/a\udfff', '/\ud83d']) expect(() => sandboxPath(p), JSON.stringify(p)).toThrow(/surrogate/);
    expect(sandboxPath('/tmp/\ud83d\ude00')).toBe('/tmp/\ud83d\ude00');
  });
  it('refuse empty strings, non-strings and NUL bytes', () => {
    expect(() => sandboxPath('')).toThrow(/non-empty/);
    expect(() => sandboxPath(3)).toThrow(/non-empty/);
    expect(() => sandboxPath('/tmp/a\0b')).toThrow(/NUL/);
  });
});

describe('wire modes', () => {
  it('are decimal numbers whose digits are octal', () => {
    expect(modeFromWire(644)).toBe(0o644);
    expect(modeFromWire(755)).toBe(0o755);
    expect(modeFromWire(4755)).toBe(0o4755);
    expect(modeToWire(0o640)).toBe(640);
    expect(modeToWire(0o4755)).toBe(755);
    for (const bad of [648, 99999, -1, 6.4, '644']) expect(() => modeFromWire(bad)).toThrow(/octal/);
  });
});

describe('download ranges', () => {
  it('parse a-b, a- and -n against the size, first range only', () => {
    expect(rangeOf(undefined, 10)).toEqual({ kind: 'whole' });
    expect(rangeOf('bytes=0-3', 10)).toEqual({ kind: 'partial', range: { start: 0, end: 3 } });
    expect(rangeOf('bytes=4-', 10)).toEqual({ kind: 'partial', range: { start: 4, end: 9 } });
    expect(rangeOf('bytes=-3', 10)).toEqual({ kind: 'partial', range: { start: 7, end: 9 } });
    expect(rangeOf('bytes=-30', 10)).toEqual({ kind: 'partial', range: { start: 0, end: 9 } });
    expect(rangeOf('bytes=5-100', 10)).toEqual({ kind: 'partial', range: { start: 5, end: 9 } });
    expect(rangeOf('bytes=1-2, 5-6', 10)).toEqual({ kind: 'partial', range: { start: 1, end: 2 } });
  });
  it('serve the first range of a list that starts inside the file, and only when the whole list is well formed (upstream ParseRange)', () => {
    expect(rangeOf('bytes=100-200,2-3', 10)).toEqual({ kind: 'partial', range: { start: 2, end: 3 } });
    expect(rangeOf('bytes=10-,-0,-2', 10)).toEqual({ kind: 'partial', range: { start: 8, end: 9 } });
    expect(rangeOf('bytes=, 4-4,', 10)).toEqual({ kind: 'partial', range: { start: 4, end: 4 } });
    for (const h of ['bytes=0-1,abc', 'bytes=0-1,5-2', 'bytes=0-1,-', 'bytes=100-,200-']) expect(rangeOf(h, 10), h).toEqual({ kind: 'unsatisfiable' });
  });
  it('answer unsatisfiable for malformed, reversed or out-of-file ranges', () => {
    for (const h of ['bytes=10-', 'bytes=5-2', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=x-1', 'garbage']) {
      expect(rangeOf(h, 10)).toEqual({ kind: 'unsatisfiable' });
    }
    expect(rangeOf('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('replaceAll on bytes', () => {
  it('replaces non-overlapping occurrences left to right and counts them', () => {
    const r = replaceAll(Buffer.from('aaaa'), Buffer.from('aa'), Buffer.from('b'));
    expect(r.result.toString()).toBe('bb');
    expect(r.count).toBe(2);
    const none = replaceAll(Buffer.from([0xff, 0x00]), Buffer.from('x'), Buffer.from('y'));
    expect(none.count).toBe(0);
    const bin = replaceAll(Buffer.from([0xff, 0x41, 0xfe]), Buffer.from('A'), Buffer.from('BC'));
    expect([...bin.result]).toEqual([0xff, 0x42, 0x43, 0xfe]);
  });
});

describe('archive entry names', () => {
  it('are relative to the directory parent, except for the root', () => {
    expect(relativeName('/tmp/d', 'd/')).toBe('');
    expect(relativeName('/tmp/d', 'd/sub/')).toBe('sub');
    expect(relativeName('/tmp/d', 'd/sub/b')).toBe('sub/b');
    expect(relativeName('/', '/')).toBe('');
    expect(relativeName('/', '/bin/')).toBe('bin');
    expect(relativeName('/', '/bin/sh')).toBe('bin/sh');
  });
});

describe('Content-Disposition', () => {
  it('quotes plain names and adds filename* for the rest', () => {
    expect(contentDisposition('a b.txt')).toBe('attachment; filename="a b.txt"');
    expect(contentDisposition('日本.txt')).toBe(`attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`);
    expect(contentDisposition(`it's "x".txt`)).toBe(`attachment; filename="it's _x_.txt"; filename*=UTF-8''it%27s%20%22x%22.txt`);
  });
});
