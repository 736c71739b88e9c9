import { StringDecoder } from 'node:string_decoder';

/**
 * Bytes in, lines out, as execd frames them: a line ends at `\n`, `\r` or `\r\n` and is sent without its
 * terminator; an empty line is sent as "\n" (an empty text would be dropped by clients); a multi-byte
 * character split across chunks is decoded whole; `end()` flushes a final partial line.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private lastWasCr = false;

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
      out.push(line.length === 0 ? '\n' : line);
      this.lastWasCr = ch === 13;
      start = i + 1;
    }
    if (start < text.length) {
      this.pending += text.slice(start);
      this.lastWasCr = false;
    }
    return out;
  }
}
