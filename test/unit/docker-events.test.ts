import { describe, expect, it } from 'vitest';
import { LineSplitter, parseContainerEvent } from '../../src/adapters/docker/docker-events.js';

const die = JSON.stringify({
  status: 'die',
  id: 'c1',
  from: 'berth-base:latest',
  Type: 'container',
  Action: 'die',
  Actor: { ID: 'c1', Attributes: { exitCode: '3', image: 'berth-base:latest', name: 'sandbox-1', 'berth.sandbox-id': 's1' } },
  scope: 'local',
  time: 1_700_000_000,
  timeNano: 1_700_000_000_123_456_789,
});
const pause = JSON.stringify({ Type: 'container', Action: 'pause', Actor: { ID: 'c2', Attributes: { name: 'x' } }, time: 1_700_000_001 });

describe('LineSplitter', () => {
  it('returns whole lines only and keeps the tail for the next chunk', () => {
    const s = new LineSplitter();
    const text = `${die}\n${pause}\n`;
    const cut = 17;
    expect(s.push(text.slice(0, cut))).toEqual([]);
    expect(s.push(text.slice(cut, die.length + 5))).toEqual([die]);
    expect(s.push(text.slice(die.length + 5))).toEqual([pause]);
    expect(s.flush()).toEqual([]);
  });

  it('splits several lines in one chunk and skips blank lines and CR', () => {
    const s = new LineSplitter();
    expect(s.push(`${die}\r\n\n${pause}\n`)).toEqual([die, pause]);
  });

  it('survives every possible chunk boundary', () => {
    const text = `${die}\n${pause}\n${die}\n`;
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new LineSplitter();
      const lines = [...s.push(Buffer.from(text.slice(0, cut))), ...s.push(Buffer.from(text.slice(cut)))];
      expect(lines).toEqual([die, pause, die]);
    }
  });

  it('does not corrupt a multi-byte character split across chunks', () => {
    const line = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'c', Attributes: { team: 'dévé🚀' } } });
    const bytes = Buffer.from(`${line}\n`);
    const at = bytes.indexOf(Buffer.from('🚀')) + 2; // inside the 4-byte emoji
    const s = new LineSplitter();
    const lines = [...s.push(bytes.subarray(0, at)), ...s.push(bytes.subarray(at))];
    expect(lines).toEqual([line]);
    expect(parseContainerEvent(lines[0]!)!.labels.team).toBe('dévé🚀');
  });

  it('flush returns a final line without a newline', () => {
    const s = new LineSplitter();
    expect(s.push(pause)).toEqual([]);
    expect(s.flush()).toEqual([pause]);
  });
});

describe('parseContainerEvent', () => {
  it('maps a die event with its exit code, attributes and nanosecond time', () => {
    const e = parseContainerEvent(die)!;
    expect(e.action).toBe('die');
    expect(e.containerId).toBe('c1');
    expect(e.exitCode).toBe(3);
    expect(e.labels['berth.sandbox-id']).toBe('s1');
    expect(e.time.getTime()).toBe(1_700_000_000_123);
  });

  it('has no exit code when Docker sends none and falls back to seconds', () => {
    const e = parseContainerEvent(pause)!;
    expect(e.exitCode).toBeNull();
    expect(e.time.getTime()).toBe(1_700_000_001_000);
  });

  it('keeps only the part of an exec action before the colon', () => {
    const line = JSON.stringify({ Type: 'container', Action: 'exec_start: /bin/echo hi', Actor: { ID: 'c', Attributes: {} }, time: 1 });
    expect(parseContainerEvent(line)!.action).toBe('exec_start');
    const health = JSON.stringify({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'c' }, time: 1 });
    expect(parseContainerEvent(health)!.action).toBe('health_status');
  });

  it('ignores non-container events and throws on malformed JSON', () => {
    expect(parseContainerEvent(JSON.stringify({ Type: 'network', Action: 'connect', Actor: { ID: 'n' } }))).toBeNull();
    expect(parseContainerEvent('null')).toBeNull();
    expect(() => parseContainerEvent('{"Type":"contai')).toThrow();
  });
});
