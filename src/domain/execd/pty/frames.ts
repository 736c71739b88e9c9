/**
 * The PTY WebSocket's wire format (upstream PTY.md, model/pty_ws.go). Server → client binary frames start
 * with a channel byte; a replay frame adds the 8-byte big-endian offset of its first byte. Client → server
 * binary frames are stdin; text frames are JSON control messages.
 */
export const CHANNEL = { stdin: 0x00, stdout: 0x01, stderr: 0x02, replay: 0x03 } as const;

/** The WebSocket close code of a holder evicted by `?takeover=1`. */
export const CLOSE_TAKEN_OVER = 4001;

export type OutputChannel = 'stdout' | 'stderr';

export function outputFrame(channel: OutputChannel, chunk: Buffer): Buffer {
  return Buffer.concat([Buffer.of(CHANNEL[channel]), chunk]);
}

export function replayFrame(offset: number, bytes: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head[0] = CHANNEL.replay;
  head.writeBigUInt64BE(BigInt(offset), 1);
  return Buffer.concat([head, bytes]);
}

export type ClientFrame =
  | { type: 'stdin'; data: Buffer }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'signal'; signal: string }
  | { type: 'ping' }
  | { type: 'unknown'; name: string }
  | { type: 'ignored' };

/** One client frame. Like upstream, bad JSON and binary frames on other channels are ignored, not fatal. */
export function parseClientFrame(data: Buffer, isBinary: boolean): ClientFrame {
  if (isBinary) return data[0] === CHANNEL.stdin ? { type: 'stdin', data: data.subarray(1) } : { type: 'ignored' };
  let msg: { type?: unknown; data?: unknown; cols?: unknown; rows?: unknown; signal?: unknown };
  try {
    msg = JSON.parse(data.toString('utf8')) as typeof msg;
  } catch {
    return { type: 'ignored' };
  }
  if (msg === null || typeof msg !== 'object') return { type: 'ignored' };
  switch (msg.type) {
    case 'stdin':
      return { type: 'stdin', data: Buffer.from(typeof msg.data === 'string' ? msg.data : '', 'utf8') };
    case 'resize': {
      const cols = Number(msg.cols);
      const rows = Number(msg.rows);
      // upstream resizes only for positive sizes; a uint16 is the terminal's own limit
      const ok = (n: number) => Number.isInteger(n) && n > 0 && n <= 0xffff;
      return ok(cols) && ok(rows) ? { type: 'resize', cols, rows } : { type: 'ignored' };
    }
    case 'signal':
      return { type: 'signal', signal: String(msg.signal ?? '') };
    case 'ping':
      return { type: 'ping' };
    default:
      return { type: 'unknown', name: String(msg.type) };
  }
}

/** The signals upstream accepts by name (runtime/pty_session.go parseSignalName); others are ignored. */
const SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGKILL', 'SIGQUIT', 'SIGHUP']);
export const signalByName = (name: string): NodeJS.Signals | null => (SIGNALS.has(name as NodeJS.Signals) ? (name as NodeJS.Signals) : null);
