import { StringDecoder } from 'node:string_decoder';
import { pieceEnd } from '../utf16.js';

/**
 * The longest text one event carries. A line longer than this is sent in pieces of this size: otherwise a
 * command printing without newlines (`cat /dev/zero`) made berth hold its whole output as one string, with
 * no backpressure (nothing was emitted, so nothing paused the source) until V8's string limit threw in a
 * stream handler and took the server down. Upstream's session reader stops at 16 MiB; 1 MiB keeps a
 * stream's memory small and is far beyond any line a terminal shows.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Bytes in, lines out, as execd frames them: a line ends at `\n`, `\r` or `\r\n` and is sent without its
 * terminator; an empty line is sent as "\n" (an empty text would be dropped by clients); a multi-byte
 * character split across chunks is decoded whole; `end()` flushes a final partial line.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private lastWasCr = false;
  /** the last piece sent was cut at MAX_LINE_CHARS: a terminator right after it ends that line, not an empty one */
  private cut = false;

  constructor(private readonly maxChars = MAX_LINE_CHARS) {}

  push(chunk: Buffer): string[] {
    return this.split(this.decoder.write(chunk));
  }

  end(): string[] {
    const out = this.split(this.decoder.end());
    if (this.pending.length > 0) out.push(this.pending);
    this.pending = '';
    return out;
  }

  private split(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      // "\r\n" across or within chunks is one terminator: the \n after a \r ends nothing.
      if (ch === 10 && this.lastWasCr && i === start && this.pending.length === 0) {
        this.lastWasCr = false;
        start = i + 1;
        continue;
      }
      const line = this.pending + text.slice(start, i);
      this.pending = '';
      if (line.length > 0 || !this.cut) this.take(line.length === 0 ? '\n' : line, out, true);
      this.cut = false;
      this.lastWasCr = ch === 13;
      start = i + 1;
    }
    if (start < text.length) {
      this.pending += text.slice(start);
      this.lastWasCr = false;
      this.cut = false;
      if (this.pending.length >= this.maxChars) {
        const whole = this.pending;
        this.pending = '';
        this.take(whole, out, false);
      }
    }
    return out;
  }

  /** A line into `out` in pieces of at most maxChars (never splitting a surrogate pair); an unfinished line keeps its short tail pending. */
  private take(line: string, out: string[], finished: boolean): void {
    let at = 0;
    while (line.length - at > this.maxChars || (!finished && line.length - at >= this.maxChars)) {
      const end = pieceEnd(line, at, this.maxChars);
      out.push(line.slice(at, end));
      at = end;
      this.cut = true;
    }
    if (finished) out.push(line.slice(at));
    else this.pending = line.slice(at);
    if (!finished && this.pending.length > 0) this.cut = false;
  }
}
