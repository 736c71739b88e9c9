import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { takeFront } from './byte-queue.js';
import { pieceStream, type Pieces } from './piece-stream.js';

const PIECE_BYTES = 1024 * 1024;
// The engine outruns a disk only in bursts; past this much unwritten, the archive waits for the disk.
const MAX_UNWRITTEN_BYTES = 8 * PIECE_BYTES;

/**
 * The bytes [start, start + length) of an engine archive entry as a web stream for the client. Why not
 * straight through with backpressure: the engine holds the container's lock for as long as an archive
 * response is open, and while it does, inspect, exec and every other archive call on that sandbox wait
 * (measured: a client that stopped reading a download froze `docker inspect` of its container). So the entry
 * is read at the engine's own speed: into memory while the client keeps up, and past `window` bytes ahead of
 * it into a private local file that is unlinked as soon as it is opened (a crash leaves nothing behind) or,
 * when `handover` is given, to a reader the client can pace: the archive is let go there and then, and the
 * rest of the file comes from `handover(offset, length)` (the sandbox's tail) once memory has been handed
 * out. A client that keeps up so gets the archive's speed (the engine's exec output costs far more CPU:
 * src/DESIGN.md execd §6.5), and one that does not never makes berth write the file to disk.
 * `release` tears the archive down the moment the last wanted byte is in. `done` runs exactly once, with the
 * bytes the client was sent, after its stream has closed, failed or been cancelled.
 */
export function relayToWeb(
  src: Readable,
  range: { start: number; length: number },
  hooks: {
    release: () => void;
    done: (sent: number) => void;
    window: number;
    handover?: (offset: number, length: number) => Promise<Pieces | null>;
  },
): ReadableStream<Uint8Array> {
  const relay = new Relay(src, range, hooks.release, hooks.window, hooks.handover);
  // (ahead: the next pieces are fetched, from the spill file too, while the socket drains)
  return pieceStream(() => relay.next(), { aheadBytes: 4 * PIECE_BYTES, stop: () => relay.stop(), done: hooks.done });
}

/**
 * Takes the wanted slice of `src` without ever waiting for the reader (only, briefly, for the disk), and hands
 * it out in order: first what is held in memory, then, once the reader fell behind by `window` bytes,
 * everything after from the spill file, or from the handover's reader.
 */
class Relay {
  private skip: number;
  private left: number;
  private fileAt: number; // the file offset of the next wanted byte the archive gives
  private rest: Promise<Pieces | null> | null = null;
  private restFailure: Error | null = null;
  private memory: Buffer[] = [];
  private held = 0;
  private spill: Spill | null = null;
  private failure: Error | null = null;
  private complete = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly src: Readable,
    range: { start: number; length: number },
    private readonly release: () => void,
    private readonly window: number,
    private readonly handover?: (offset: number, length: number) => Promise<Pieces | null>,
  ) {
    this.skip = range.start;
    this.fileAt = range.start;
    this.left = range.length;
    if (this.left === 0) {
      this.end();
      return;
    }
    src.on('data', (chunk: Buffer) => this.take(chunk));
    src.once('end', () => this.fail(new Error('the file changed while it was being read')));
    src.once('error', (e) => this.fail(e));
  }

  /** The next piece for the client, waiting for the engine if needed; null once everything has been handed out. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.held > 0) return this.takeMemory();
      if (this.rest) return this.fromRest();
      if (this.spill) {
        const piece = await this.spill.read();
        if (piece) return piece;
      }
      if (this.failure) throw this.failure;
      if (this.complete && (!this.spill || this.spill.drained)) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * At most one piece from memory. Never all of it at once: what is handed out waits in the response's own
   * buffers while the client lags, and pieces the size of the window would hold twice the window there
   * before anything spilled.
   */
  private takeMemory(): Buffer {
    const piece = takeFront(this.memory, PIECE_BYTES);
    this.held -= piece.length;
    return piece;
  }

  /** After the handover: the rest's next piece; null once it has given every byte. */
  private async fromRest(): Promise<Buffer | null> {
    const rest = await this.rest;
    if (!rest) throw this.restFailure ?? new Error('the file changed while it was being read');
    return rest.next();
  }

  /** The reader is gone: nothing more is needed from the engine, and the spill file (or the rest's reader) is closed. */
  stop(): void {
    this.stopped = true;
    this.end();
    this.memory = [];
    this.held = 0;
    this.spill?.close();
    void this.rest?.then((rest) => rest?.stop());
  }

  /**
   * The reader fell behind by the window: the rest of the slice comes from a reader it paces, and the archive
   * (and with it the container's lock) is let go at once.
   */
  private handOver(): void {
    const start = this.fileAt;
    const length = this.left;
    this.left = 0;
    this.end(); // first: an exec start waits for the container's lock, which an open archive holds
    if (length > 0)
      this.rest = this.handover!(start, length).catch((e: Error) => {
        this.restFailure = e;
        return null;
      });
  }

  private take(chunk: Buffer): void {
    if (this.complete) return;
    let c = chunk;
    if (this.skip > 0) {
      if (c.length <= this.skip) {
        this.skip -= c.length;
        return;
      }
      c = c.subarray(this.skip);
      this.skip = 0;
    }
    if (c.length > this.left) c = c.subarray(0, this.left);
    this.left -= c.length;
    this.fileAt += c.length;
    const behind = this.held + c.length > this.window;
    if (behind && !this.spill && !this.handover)
      this.spill = new Spill(
        this.src,
        () => this.notify(),
        (e) => this.fail(e),
      );
    if (this.spill) this.spill.append(c);
    else {
      this.memory.push(c);
      this.held += c.length;
    }
    if (behind && this.handover) return this.handOver();
    if (this.left === 0) this.end();
    this.notify();
  }

  /** Every wanted byte has arrived (or nobody wants more): the engine's lock is let go at once. */
  private end(): void {
    if (!this.complete) {
      this.complete = true;
      this.src.removeAllListeners('data');
      this.src.on('error', () => {}); // a teardown error after the end means nothing
      this.release();
      this.spill?.finish();
    }
    this.notify();
  }

  private fail(e: Error): void {
    if (this.complete) return;
    this.failure = e;
    this.end();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** The part of a download the client has not caught up with, on local disk, in order. */
class Spill {
  private readonly file: Promise<FileHandle>;
  private written = 0;
  private readAt = 0;
  private unwritten: Buffer[] = [];
  private unwrittenBytes = 0;
  private writing = false;
  private finished = false;
  private closed = false;

  constructor(
    private readonly src: Readable,
    private readonly progress: () => void,
    private readonly fail: (e: Error) => void,
  ) {
    const path = join(tmpdir(), `berth-download-${randomBytes(12).toString('hex')}`);
    this.file = open(path, 'wx+', 0o600).then(async (f) => (await rm(path, { force: true }), f));
    this.file.catch((e: Error) => fail(e));
  }

  get drained(): boolean {
    return this.finished && !this.writing && this.unwrittenBytes === 0 && this.readAt >= this.written;
  }

  append(c: Buffer): void {
    this.unwritten.push(c);
    this.unwrittenBytes += c.length;
    if (this.unwrittenBytes >= MAX_UNWRITTEN_BYTES) this.src.pause(); // the disk is behind: the engine waits
    void this.writeNext();
  }

  finish(): void {
    this.finished = true;
    void this.writeNext();
  }

  /** The next written piece the reader has not had, or null if there is none yet. */
  async read(): Promise<Buffer | null> {
    if (this.readAt >= this.written) return null;
    const size = Math.min(PIECE_BYTES, this.written - this.readAt);
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await (await this.file).read(buf, 0, size, this.readAt);
    this.readAt += bytesRead;
    return buf.subarray(0, bytesRead);
  }

  close(): void {
    this.closed = true;
    this.unwritten = [];
    this.unwrittenBytes = 0;
    if (!this.writing) void this.file.then((f) => f.close()).catch(() => {});
  }

  private async writeNext(): Promise<void> {
    if (this.writing || this.closed || this.unwrittenBytes === 0) return;
    if (this.unwrittenBytes < PIECE_BYTES && !this.finished) return; // the engine's 32-64 KiB pieces, coalesced
    const piece = this.unwritten.length === 1 ? this.unwritten[0]! : Buffer.concat(this.unwritten, this.unwrittenBytes);
    this.unwritten = [];
    this.unwrittenBytes = 0;
    this.writing = true;
    try {
      const file = await this.file;
      await file.write(piece, 0, piece.length, this.written);
      this.written += piece.length;
    } catch (e) {
      this.fail(e as Error);
    }
    this.writing = false;
    if (this.closed) return void this.file.then((f) => f.close()).catch(() => {});
    if (!this.finished) this.src.resume();
    this.progress();
    void this.writeNext();
  }
}
