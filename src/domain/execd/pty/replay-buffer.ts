/** Upstream's size (runtime/replay_buffer.go): enough scrollback for a reconnect, bounded per session. */
export const REPLAY_BYTES = 1024 * 1024;

/**
 * A ring of the last `capacity` output bytes with a monotonic write counter, so a client that reconnects
 * with `since=<offset>` gets exactly what it missed (or the oldest bytes still held, when more was written).
 * Memory grows with the output, up to the capacity: an idle session costs nothing.
 */
export class ReplayBuffer {
  private buf = Buffer.alloc(0);
  private written = 0;

  constructor(private readonly capacity = REPLAY_BYTES) {}

  /** Bytes ever written: the `output_offset` of GET /pty/{id}. */
  get total(): number {
    return this.written;
  }

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (chunk.length >= this.capacity) {
      this.buf = Buffer.from(chunk.subarray(chunk.length - this.capacity));
    } else if (this.buf.length + chunk.length <= this.capacity) {
      this.buf = Buffer.concat([this.buf, chunk]);
    } else {
      // Full: keep the newest capacity bytes. One copy per write is fine at terminal speeds.
      const keep = this.capacity - chunk.length;
      this.buf = Buffer.concat([this.buf.subarray(this.buf.length - keep), chunk]);
    }
    this.written += chunk.length;
  }

  /**
   * The bytes from absolute offset `since` on, and the offset of the first one: clamped to the oldest byte
   * still held; nothing when the client is caught up (or asks beyond the end).
   */
  readFrom(since: number): { offset: number; bytes: Buffer } {
    const oldest = this.written - this.buf.length;
    if (!(since < this.written)) return { offset: this.written, bytes: Buffer.alloc(0) };
    const from = Math.max(oldest, Math.floor(since));
    return { offset: from, bytes: Buffer.from(this.buf.subarray(from - oldest)) };
  }
}
