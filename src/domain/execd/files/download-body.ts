import type { Readable } from 'node:stream';

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
          controller.enqueue(c);
          if (left === 0) {
            controller.close();
            finish();
          } else if ((controller.desiredSize ?? 0) <= 0) src.pause();
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
