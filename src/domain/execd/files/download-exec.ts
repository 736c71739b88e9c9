import { isDomainError } from '../../errors.js';
import { ImageFacts } from '../image-facts.js';
import type { SandboxExec } from '../port.js';
import { BUSYBOX } from '../run-tool.js';
import { takeFront } from './byte-queue.js';
import { pieceStream, type Pieces } from './piece-stream.js';

/**
 * From this size up, a download from a Running sandbox whose image has `tail` never spills: when its client
 * falls behind the archive by berth's memory window, the rest is read by the sandbox's own `tail` at the
 * client's pace (download-body.ts hands over to `tailPieces`). Below it, the archive's lock lasts
 * milliseconds whatever the client does, and starting a process costs more than it saves.
 */
export const EXEC_DOWNLOAD_MIN_BYTES = 4 * 1024 * 1024;

/**
 * A range that starts this far into the file is read by tail from the start: the archive cannot seek, and
 * reading and dropping this much of it costs more than starting a process (an exec start is about 50 ms).
 */
export const TAIL_SEEK_BYTES = 16 * 1024 * 1024;

// Bytes read from the process ahead of the client (and again as much queued in the response): the next
// pieces are on their way while the socket drains.
const AHEAD_BYTES = 1024 * 1024;
// The process's pipe gives 4-32 KiB at a time; a socket write per piece that small costs both ends more.
const PIECE_BYTES = 256 * 1024;
const TAILS = [['/usr/bin/tail'], ['/bin/tail'], [BUSYBOX, 'tail']];
const tailOf = new ImageFacts<string[] | null>();

/** The image's tail by absolute path (no PATH lookup, no shell), once per container; null when it has none. */
async function findTail(exec: SandboxExec, containerId: string): Promise<string[] | null> {
  const known = tailOf.get(containerId);
  if (known !== undefined) return known;
  let found: string[] | null = null;
  for (const argv of TAILS) {
    const kind = (await exec.stat(containerId, argv[0]!))?.kind;
    if (kind === 'file' || kind === 'symlink') {
      found = argv;
      break;
    }
  }
  return tailOf.set(containerId, found);
}

/** Whether the sandbox's image has a tail berth can run (looked up once per container). */
export async function hasTail(exec: SandboxExec, containerId: string): Promise<boolean> {
  return (await findTail(exec, containerId)) !== null;
}

/**
 * The bytes [start, start + length) of the file at `path` (already resolved inside the sandbox), as `tail -c
 * +N` run as root prints them, read at the client's pace (an exec holds no lock). null when the image has no
 * tail, or tail printed nothing (the file is gone or shorter now). A file that ends before `length` makes
 * `next` throw, so the client sees a cut-off transfer, never a short body under a full Content-Length.
 */
export async function tailPieces(exec: SandboxExec, containerId: string, path: string, range: { start: number; length: number }): Promise<Pieces | null> {
  const tail = await findTail(exec, containerId);
  if (!tail) return null;
  let handle;
  try {
    handle = await exec.start(containerId, { cmd: [...tail, '-c', `+${range.start + 1}`, '--', path], user: '0' });
  } catch (e) {
    if (isDomainError(e) && e.code === 'NOT_SUPPORTED') return null; // deleted since the check
    throw e;
  }
  handle.stderr.resume();
  const chunks = new ChunkQueue(handle.stdout);
  if (!(await chunks.waitFirst())) {
    handle.detach();
    return null;
  }
  let sent = 0;
  let stopped = false;
  return {
    next: async () => {
      if (sent === range.length) return null;
      const piece = await chunks.take(Math.min(PIECE_BYTES, range.length - sent));
      if (!piece) throw new Error('the file changed while it was being read');
      sent += piece.length;
      return piece;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      handle.detach(); // tail, if still writing, ends on a closed pipe
      // Cut short: the next download looks for tail again (a client may have deleted it meanwhile).
      if (sent < range.length) tailOf.forget(containerId);
    },
  };
}

/**
 * A download body read by tail alone (a range that starts far into the file). null as for `tailPieces`; the
 * caller then serves the archive. `done` runs once with the bytes sent, however the stream ends.
 */
export async function tailBody(
  exec: SandboxExec,
  containerId: string,
  path: string,
  range: { start: number; length: number },
  done: (sent: number) => void,
): Promise<ReadableStream<Uint8Array> | null> {
  const pieces = await tailPieces(exec, containerId, path, range);
  if (!pieces) return null;
  return pieceStream(() => pieces.next(), { aheadBytes: AHEAD_BYTES, stop: () => pieces.stop(), done });
}

/**
 * The process's output as it arrives, held up to AHEAD_BYTES (then the exec is paused, and back-pressure
 * reaches the process). Read from `data` events, not a stream's read(), which would copy whatever is
 * buffered into one buffer on every call: a piece is assembled once, from what is queued when it is asked for.
 */
class ChunkQueue {
  private queue: Buffer[] = [];
  private bytes = 0;
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(private readonly src: NodeJS.ReadableStream) {
    src.on('data', (c: Buffer) => {
      this.queue.push(c);
      this.bytes += c.length;
      if (this.bytes >= AHEAD_BYTES) src.pause();
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    src.once('end', end);
    src.once('close', end);
    src.once('error', end);
  }

  /** false when the process ended without printing anything */
  async waitFirst(): Promise<boolean> {
    await this.arrival();
    return this.bytes > 0;
  }

  /** Up to `max` bytes of what is queued (waiting for some if none is), or null once the output has ended. */
  async take(max: number): Promise<Buffer | null> {
    await this.arrival();
    if (this.bytes === 0) return null;
    const piece = takeFront(this.queue, max);
    this.bytes -= piece.length;
    if (this.bytes < AHEAD_BYTES) this.src.resume();
    return piece;
  }

  private async arrival(): Promise<void> {
    while (this.bytes === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
