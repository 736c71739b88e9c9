import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

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
        if (!sink.write(chunk)) source.pause();
      });
      sink.on('drain', () => {
        if (!failed) source.resume();
      });
      source.once('end', () => {
        ended = true;
        if (!failed) sink.end();
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
