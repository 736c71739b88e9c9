import type { Readable } from 'node:stream';
import tar, { type Headers } from 'tar-stream';

export type TarHeader = Headers;

export type FirstEntry = {
  header: TarHeader;
  data: Readable;
  /** tear down the archive (an HTTP response from the engine); call once the entry is no longer needed */
  close: () => void;
};

/**
 * The first entry of an engine archive, or null for an empty one. For a directory the engine would go on to tar
 * the whole subtree, so callers that only want the header close at once rather than draining.
 */
export function firstEntry(archive: Readable): Promise<FirstEntry | null> {
  const extract = tar.extract();
  const close = () => {
    archive.unpipe(extract);
    archive.destroy();
    extract.destroy();
  };
  return new Promise((resolve, reject) => {
    extract.once('entry', (header, data) => resolve({ header, data, close }));
    extract.once('finish', () => resolve(null));
    extract.once('error', (e: Error) => {
      close();
      reject(e);
    });
    archive.once('error', (e) => extract.destroy(e));
    archive.pipe(extract);
  });
}

/** Visit every entry header of an archive in order (the engine writes lexical pre-order), draining the data. */
export function eachEntry(archive: Readable, visit: (header: TarHeader) => void): Promise<void> {
  const extract = tar.extract();
  return new Promise((resolve, reject) => {
    extract.on('entry', (header, data, next) => {
      try {
        visit(header);
      } catch (e) {
        archive.destroy();
        extract.destroy();
        return reject(e);
      }
      data.on('end', () => next());
      data.resume();
    });
    extract.once('finish', () => resolve());
    extract.once('error', (e: Error) => {
      archive.destroy();
      reject(e);
    });
    archive.once('error', (e) => extract.destroy(e));
    archive.pipe(extract);
  });
}

/**
 * A one-entry archive to PUT into a directory. `data` is a stream of exactly `header.size` bytes (spooled
 * uploads, a file being rewritten), a buffer, or nothing for a header-only entry (directories).
 */
export function oneEntryArchive(header: TarHeader, data?: Readable | Buffer): Readable {
  const pack = tar.pack();
  if (data === undefined || Buffer.isBuffer(data)) {
    pack.entry(header, data ?? Buffer.alloc(0));
    pack.finalize();
    return pack;
  }
  const sink = pack.entry(header, (err) => (err ? pack.destroy(err) : pack.finalize()));
  data.once('error', (e) => pack.destroy(e));
  data.pipe(sink);
  return pack;
}
