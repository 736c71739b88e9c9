import type { WebSocket } from 'ws';
import { CLOSE_TAKEN_OVER, outputFrame, parseClientFrame, replayFrame } from '../../domain/execd/pty/frames.js';
import type { PtySession, PtySink } from '../../domain/execd/pty/session.js';
import type { Logger } from '../../domain/ports.js';

/** Upstream's keepalive (pty_ws.go): an RFC 6455 ping every 30 s, and a client silent for 60 s is gone. */
const PING_EVERY_MS = 30_000;
const READ_DEADLINE_MS = 60_000;
/**
 * A client that stops reading must not make berth buffer a chatty shell's output without end. Beyond this
 * it is dropped (1013); the output stays in the replay ring, so it can reconnect with `since=`.
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * One client on a session, after the handshake: `connected`, then the replay of what it missed, then live
 * output; its frames drive stdin, resize, signals and pings. Attaching, the snapshot and the first frames
 * happen in one synchronous step, so the stream has no gap and no duplicate.
 */
export function bindPtySocket(ws: WebSocket, session: PtySession, since: number, log: Logger): void {
  const send = (data: Buffer | string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return void ws.close(1013, 'client too slow; reconnect with since=');
    ws.send(data);
  };
  const json = (frame: Record<string, unknown>) => send(JSON.stringify(frame));
  const sink: PtySink = {
    output: (channel, chunk) => send(outputFrame(channel, chunk)),
    exit: (exitCode) => {
      json({ type: 'exit', exit_code: exitCode });
      ws.close(1000, 'process exited');
    },
    evicted: (why) => (why === 'taken_over' ? ws.close(CLOSE_TAKEN_OVER, 'TAKEN_OVER') : ws.close(1000, 'session deleted')),
  };

  const missed = session.attach(sink, since);
  json({ type: 'connected', session_id: session.id, mode: session.mode ?? 'pty' });
  if (missed.bytes.length > 0) send(replayFrame(missed.offset, missed.bytes));
  // The shell may have exited between its start and this attach (a short `command`): say so now.
  if (!session.running && session.exitCode !== null) sink.exit(session.exitCode);

  let lastSeen = Date.now();
  const seen = () => (lastSeen = Date.now());
  const keepalive = setInterval(() => {
    if (Date.now() - lastSeen > READ_DEADLINE_MS) return void ws.terminate();
    ws.ping();
  }, PING_EVERY_MS);
  ws.on('pong', seen);
  ws.on('close', () => {
    clearInterval(keepalive);
    session.detach(sink);
  });
  ws.on('error', (err) => log.debug({ sessionId: session.id, err: err.message }, 'pty websocket error'));

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    seen();
    const frame = parseClientFrame(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary);
    switch (frame.type) {
      case 'stdin':
        if (!session.writeStdin(frame.data)) {
          json({ type: 'error', code: 'STDIN_WRITE_FAILED', error: 'the shell is not running' });
          ws.close(1011, 'stdin write failed');
        }
        return;
      case 'resize':
        return void session.resize(frame).catch((err: unknown) => log.warn({ sessionId: session.id, err: String(err) }, 'pty resize failed'));
      case 'signal':
        return void session.signal(frame.signal);
      case 'ping':
        return json({ type: 'pong' });
      case 'unknown':
        return json({ type: 'error', code: 'INVALID_FRAME', error: `unknown frame type "${frame.name}"` });
      case 'ignored':
        return;
    }
  });
}
