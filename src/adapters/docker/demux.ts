import type { Readable, Writable } from 'node:stream';

const HEADER_BYTES = 8;

/**
 * Split the engine's multiplexed attach stream (frames of an 8-byte header: stream type, three zero bytes, a
 * big-endian length; then the payload) into stdout and stderr, with back-pressure: while either output is
 * full the socket is paused, so a reader that falls behind slows the process down instead of filling
 * berth's memory. dockerode's demuxStream writes regardless of what the outputs answer (a command with a
 * slow client, a big download, buffered whole) and copies the rest of its buffer at every frame.
 * Payloads are handed on as views of the socket's own chunks: nothing is copied but a split header.
 */
export function demux(socket: Readable, stdout: Writable, stderr: Writable): void {
  const header = Buffer.alloc(HEADER_BYTES);
  let headerHave = 0;
  let left = 0; // payload bytes of the current frame still to come
  let target: Writable = stdout;
  let blocked = 0;
  const unblock = () => {
    if (--blocked === 0) socket.resume();
  };
  const send = (out: Writable, bytes: Buffer) => {
    if (out.write(bytes)) return;
    blocked++;
    out.once('drain', unblock);
  };
  socket.on('data', (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length) {
      if (left === 0) {
        const take = Math.min(HEADER_BYTES - headerHave, chunk.length - at);
        chunk.copy(header, headerHave, at, at + take);
        headerHave += take;
        at += take;
        if (headerHave < HEADER_BYTES) break;
        headerHave = 0;
        // 0 is stdin (never sent back), 1 stdout, 2 stderr
        target = header[0] === 2 ? stderr : stdout;
        left = header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(left, chunk.length - at);
      send(target, take === chunk.length ? chunk : chunk.subarray(at, at + take));
      left -= take;
      at += take;
    }
    if (blocked > 0) socket.pause();
  });
}
