import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demux } from '../../src/adapters/docker/demux.js';

const frame = (type: number, payload: string | Buffer) => {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
};

const collect = () => {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
};

describe('the engine attach stream demultiplexer', () => {
  it('splits frames however the socket cuts them: mid-header, mid-payload, several per chunk, empty frames', () => {
    const wire = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, ''), frame(1, 'world'), frame(2, '!')]);
    for (let cut = 1; cut <= wire.length; cut++) {
      const socket = new PassThrough();
      const [out, err] = [collect(), collect()];
      demux(socket, out.sink, err.sink);
      for (let at = 0; at < wire.length; at += cut) socket.write(wire.subarray(at, at + cut));
      expect(out.text(), `pieces of ${cut}`).toBe('hello world');
      expect(err.text(), `pieces of ${cut}`).toBe('oops!');
    }
  });

  it('pauses the socket while an output is full and resumes it once that output drains', async () => {
    const socket = new PassThrough();
    let release: (() => void) | null = null;
    const got: Buffer[] = [];
    // an output that takes one write, then holds the next until released
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, done) {
        got.push(chunk);
        release = done;
      },
    });
    demux(socket, slow, new PassThrough());
    socket.write(frame(1, 'a'.repeat(1000)));
    await new Promise((r) => setImmediate(r));
    expect(socket.isPaused()).toBe(true);
    socket.write(frame(1, 'b'.repeat(10)));
    await new Promise((r) => setImmediate(r));
    expect(got.length).toBe(1); // the second frame waits in the socket, not in berth's output buffer
    release!(); // drained: the socket goes on, and the waiting frame is handed on (and fills the output again)
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(got).toString()).toBe('a'.repeat(1000) + 'b'.repeat(10));
    release!();
    await new Promise((r) => setImmediate(r));
    expect(socket.isPaused()).toBe(false);
  });
});
