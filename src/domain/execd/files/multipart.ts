import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { invalid } from '../../errors.js';
import { tooLarge } from './put.js';
import { Spool } from './spool.js';

export type UploadParts = { metadata: string[]; files: Spool[] };

// The metadata part is a small JSON object ({path, mode, owner, group}).
const MAX_METADATA = 64 * 1024;

/**
 * Read an upload's multipart body: `metadata` parts (the SDK sends them as file parts, a plain field is taken
 * too) and `file` parts, each file spooled to disk while counting against `maxBytes` for the whole request.
 * Other parts are skipped. On any failure the rest of the body is left unread (no point reading the rest of
 * an oversized upload) and every spool made so far is removed; on success the caller owns the spools.
 */
export async function readUploadParts(body: Readable, contentType: string | undefined, maxBytes: number): Promise<UploadParts> {
  const parts: UploadParts = { metadata: [], files: [] };
  const pending: Promise<unknown>[] = [];
  const streams: Readable[] = [];
  let total = 0;
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: { 'content-type': contentType ?? '' }, limits: { fieldSize: MAX_METADATA } });
  } catch {
    throw invalid('INVALID_REQUEST_BODY', 'The upload must be multipart/form-data with a boundary.');
  }
  const metadata: Promise<string>[] = [];
  const done = new Promise<void>((resolve, reject) => {
    parser.on('file', (name, stream) => {
      streams.push(stream);
      if (name === 'metadata') metadata.push(track(pending, readSmall(stream)));
      else if (name === 'file') {
        const spool = new Spool();
        parts.files.push(spool);
        const countTotal = (n: number) => {
          total += n;
          if (total > maxBytes) throw tooLarge(`The upload exceeds ${maxBytes} bytes.`);
        };
        track(pending, spool.fill(stream, countTotal)).catch(reject);
      } else stream.resume();
    });
    parser.on('field', (name, value) => {
      if (name === 'metadata') metadata.push(Promise.resolve(value));
    });
    parser.once('error', () => reject(invalid('INVALID_REQUEST_BODY', 'The upload is not a well-formed multipart body.')));
    parser.once('close', () => resolve());
    body.once('error', () => reject(invalid('INVALID_REQUEST_BODY', 'The upload was interrupted.')));
  });
  body.pipe(parser);
  try {
    await done;
    await Promise.all(pending);
    parts.metadata = await Promise.all(metadata);
    return parts;
  } catch (e) {
    // Stop reading, but leave the request as it is: destroying it would close the socket under the answer
    // (the client saw a hang-up, not this 4xx). What is left unread is the HTTP layer's to settle: a little
    // is discarded, more closes the connection after the answer (http/middleware/unread-body.ts).
    body.unpipe(parser);
    body.pause();
    for (const s of streams) s.destroy(); // the parser will not end the parts it was reading
    await Promise.allSettled(pending);
    await Promise.all(parts.files.map((s) => s.remove()));
    throw e;
  }
}

/** Every part's promise is awaited (all of them, or allSettled on failure), so none rejects unhandled. */
function track<T>(pending: Promise<unknown>[], p: Promise<T>): Promise<T> {
  pending.push(p);
  // ...but only once the parser is done: a part that fails before that (an oversized metadata part ahead of
  // a file part) would reject with no handler yet, and an unhandled rejection ends the process. Marked
  // handled here; the failure still reaches the caller through the awaits above.
  p.catch(() => {});
  return p;
}

/** Drain a small part, refusing it (but still reading it to its end, so the parser goes on) past the limit. */
function readSmall(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_METADATA) chunks.push(c);
    });
    stream.once('error', reject);
    stream.once('close', () => reject(invalid('INVALID_FILE_METADATA', 'The metadata part was cut off.')));
    stream.once('end', () =>
      size > MAX_METADATA
        ? reject(invalid('INVALID_FILE_METADATA', `The metadata part exceeds ${MAX_METADATA} bytes.`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
  });
}
