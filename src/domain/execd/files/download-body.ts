import type { Readable } from 'node:stream';

const COALESCE_BYTES = 1024 * 1024;

/**
 * The bytes [start, start + length) of `src` as a web stream, with backpressure. `done` runs exactly once,
 * with the bytes delivered, after the stream has been closed (or cancelled by the client, or failed): it tears
 * the engine's archive response down. Closing first matters: tearing the tar stream down while the response
 * was still open left the response unfinished and stalled the client's keep-alive connection.
 */
export function sliceToWeb(src: Readable, start: number, length: number, done: (sent: number) => void): ReadableStream<Uint8Array> {
  let skip = start;
  let left = length;
  let sent = 0;
  let finished = false;
  // The engine's archive arrives in 32-64 KiB pieces; handed on one by one, each costs a socket write and,
  // for a client that collects them (the SDK's readBytes), one more array entry: they go out in 1 MiB ones.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (pendingBytes === 0) return;
    controller.enqueue(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    src.removeAllListeners('data');
    src.pause();
    // after the close has been queued to the reader, never before
    setImmediate(() => done(sent));
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (left === 0) {
          controller.close();
          return finish();
        }
        src.on('data', (chunk: Buffer) => {
          if (finished) return;
          let c = chunk;
          if (skip > 0) {
            if (c.length <= skip) {
              skip -= c.length;
              return;
            }
            c = c.subarray(skip);
            skip = 0;
          }
          if (c.length > left) c = c.subarray(0, left);
          left -= c.length;
          sent += c.length;
          pending.push(c);
          pendingBytes += c.length;
          if (left === 0) {
            flush(controller);
            controller.close();
            finish();
            return;
          }
          if (pendingBytes >= COALESCE_BYTES) flush(controller);
          if ((controller.desiredSize ?? 0) <= 0) src.pause();
        });
        const fail = (e: Error) => {
          if (finished) return;
          controller.error(e);
          finish();
        };
        src.once('end', () => fail(new Error('the file changed while it was being read')));
        src.once('error', fail);
        src.pause();
      },
      pull() {
        if (!finished) src.resume();
      },
      cancel() {
        finish();
      },
    },
    // counted in bytes: a few large reads per round trip instead of a pause/resume per 32 KiB chunk
    { highWaterMark: 4 * 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
}
