import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { otherGroupsOfSession } from '../../src/adapters/docker/host-session.js';
import { parseClientFrame, replayFrame, signalByName } from '../../src/domain/execd/pty/frames.js';
import { ReplayBuffer } from '../../src/domain/execd/pty/replay-buffer.js';

describe('ReplayBuffer', () => {
  it('replays from an offset, clamps to the oldest byte kept, and is empty when caught up', () => {
    const r = new ReplayBuffer(8);
    r.write(Buffer.from('abcde'));
    expect(r.readFrom(2)).toEqual({ offset: 2, bytes: Buffer.from('cde') });
    r.write(Buffer.from('fghij')); // 10 written, 8 kept: c..j
    expect(r.total).toBe(10);
    expect(r.readFrom(0)).toEqual({ offset: 2, bytes: Buffer.from('cdefghij') });
    expect(r.readFrom(7)).toEqual({ offset: 7, bytes: Buffer.from('hij') });
    expect(r.readFrom(10).bytes.length).toBe(0);
    expect(r.readFrom(99)).toEqual({ offset: 10, bytes: Buffer.alloc(0) });
    r.write(Buffer.from('0123456789AB')); // larger than the ring: only its tail stays
    expect(r.readFrom(0)).toEqual({ offset: 14, bytes: Buffer.from('456789AB') });
  });
});

describe('PTY frames', () => {
  it('a replay frame is 0x03, the 8-byte big-endian offset, then the bytes', () => {
    const f = replayFrame(0x0102030405, Buffer.from('hi'));
    expect([...f]).toEqual([3, 0, 0, 0, 1, 2, 3, 4, 5, 0x68, 0x69]);
  });

  it('parses client frames as upstream: binary 0x00 is stdin, bad JSON and other channels are ignored', () => {
    expect(parseClientFrame(Buffer.from([0, 0x61]), true)).toEqual({ type: 'stdin', data: Buffer.from('a') });
    expect(parseClientFrame(Buffer.from([1, 0x61]), true)).toEqual({ type: 'ignored' });
    expect(parseClientFrame(Buffer.from('{"type":"stdin","data":"ls\\n"}'), false)).toEqual({ type: 'stdin', data: Buffer.from('ls\n') });
    expect(parseClientFrame(Buffer.from('{"type":"resize","cols":120,"rows":40}'), false)).toEqual({ type: 'resize', cols: 120, rows: 40 });
    expect(parseClientFrame(Buffer.from('{"type":"resize","cols":0,"rows":40}'), false)).toEqual({ type: 'ignored' });
    expect(parseClientFrame(Buffer.from('{"type":"ping"}'), false)).toEqual({ type: 'ping' });
    expect(parseClientFrame(Buffer.from('{"type":"dance"}'), false)).toEqual({ type: 'unknown', name: 'dance' });
    expect(parseClientFrame(Buffer.from('not json'), false)).toEqual({ type: 'ignored' });
    expect(signalByName('SIGINT')).toBe('SIGINT');
    expect(signalByName('SIGSTOP')).toBeNull();
  });
});

describe('otherGroupsOfSession', () => {
  it("finds the job groups of a session from /proc/<pid>/stat, parsing after the comm's last parenthesis", () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-'));
    const proc = (pid: number, comm: string, pgrp: number, sid: number) => {
      mkdirSync(join(root, String(pid)));
      writeFileSync(join(root, String(pid), 'stat'), `${pid} (${comm}) S 1 ${pgrp} ${sid} 34816 ${pgrp} 4194560 0 0`);
    };
    try {
      proc(100, 'sh', 100, 100); // the exec: leader of its session and group
      proc(101, 'sleep', 101, 100); // a job
      proc(102, 'we (ird) name', 101, 100); // same job, nasty comm
      proc(200, 'other', 200, 200); // another session
      mkdirSync(join(root, 'self'));
      expect(otherGroupsOfSession(100, root)).toEqual([101]);
      expect(otherGroupsOfSession(300, root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
