/** Pieces of a file for a client, in order: `next` gives null once every byte was given; `stop` ends the reading. */
export type Pieces = { next: () => Promise<Buffer | null>; stop: () => void };

/**
 * A download body: a web stream over a source of pieces, counted in bytes so the next pieces are on their way
 * while the socket drains. `next()` gives the next piece, or null at the end; a throw errors the stream (the
 * client sees a cut-off transfer). However the stream ends (its end, an error, the reader's cancel), `stop`
 * runs once at once and `done` once after the close has been queued to the reader, both with the bytes sent.
 */
export function pieceStream(
  next: (sent: number) => Promise<Buffer | null>,
  hooks: { aheadBytes: number; stop: (sent: number) => void; done: (sent: number) => void },
): ReadableStream<Uint8Array> {
  let sent = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    hooks.stop(sent);
    setImmediate(() => hooks.done(sent));
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const piece = await next(sent);
          if (piece === null) {
            controller.close();
            return finish();
          }
          sent += piece.length;
          controller.enqueue(piece);
        } catch (e) {
          controller.error(e);
          finish();
        }
      },
      cancel: finish,
    },
    { highWaterMark: hooks.aheadBytes, size: (chunk) => chunk.byteLength },
  );
}
