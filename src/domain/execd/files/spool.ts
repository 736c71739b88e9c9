import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const COALESCE_BYTES = 1024 * 1024;

/**
 * An upload's bytes on local disk: a tar header needs the size before the data, and a chunked upload has no
 * length, so every file is written here first (never held in memory). Private (0600, created exclusively)
 * and always removed, whatever happens to the request.
 */
export class Spool {
  readonly path = join(tmpdir(), `berth-upload-${randomBytes(12).toString('hex')}`);
  size = 0;

  /**
   * Copy `source` into the spool; `onChunk` may throw to stop (a size limit). Settles only once the file is
   * closed, so a remove() after it cannot race the file's creation. A source that closes before its end fails
   * it. Only events and pause/resume are used, so a tar entry (streamx) works as well as a multipart part.
   * After a failure the source is still drained (discarding), so a multipart parser can go on to its end.
   */
  fill(source: Readable, onChunk: (n: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const sink = createWriteStream(this.path, { flags: 'wx', mode: 0o600 });
      // Uploads arrive in pieces of 16-64 KiB (a FormData Blob's are small); one write per piece is most of
      // the spooling cost, so they are written in 1 MiB ones.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const writePending = () => {
        if (pendingBytes === 0) return true;
        const ok = sink.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
        return ok;
      };
      let failed = false;
      let ended = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        sink.destroy();
        source.resume();
        if (sink.closed) reject(e);
        else sink.once('close', () => reject(e));
      };
      source.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          onChunk(chunk.length);
        } catch (e) {
          return fail(e);
        }
        this.size += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= COALESCE_BYTES && !writePending()) source.pause();
      });
      sink.on('drain', () => {
        if (!failed) source.resume();
      });
      source.once('end', () => {
        ended = true;
        if (failed) return;
        writePending();
        sink.end();
      });
      source.once('error', fail);
      source.once('close', () => {
        if (!ended) fail(new Error('the upload was cut off'));
      });
      sink.once('error', fail);
      sink.once('close', () => {
        if (!failed) resolve();
      });
    });
  }

  open(): Readable {
    return createReadStream(this.path, { highWaterMark: 1024 * 1024 }); // fewer, larger writes into the tar
  }

  remove(): Promise<void> {
    return rm(this.path, { force: true });
  }
}
