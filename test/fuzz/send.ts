import http from 'node:http';
import { connect } from 'node:net';
import type { FuzzRequest } from './requests.js';

export type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string; streamed: boolean };

/** Most of a body is enough to judge it; a stream (SSE, command output, metrics/watch) is cut off here. */
const BODY_CAP = 64 * 1024;
const STREAM_WINDOW_MS = 1_500;
// Generous: on a loaded machine the engine itself takes tens of seconds for an image removal (a snapshot
// delete waits for it); a request still unanswered after this is a finding.
const REQUEST_TIMEOUT_MS = 120_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * One request with node:http (fetch normalises too much: it refuses some methods, bodies on GET and odd
 * header values). Streaming answers are read for a moment and then dropped; the status and headers are
 * what the assertions need.
 */
export function send(port: number, req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const out = http.request({ host: '127.0.0.1', port, method: req.method, path: req.target, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const type = String(res.headers['content-type'] ?? '');
      const streaming = type.includes('event-stream') || res.headers['transfer-encoding'] === 'chunked';
      const finish = (streamed: boolean) =>
        done(() => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), streamed });
          if (streamed) res.destroy();
        });
      const window = streaming ? setTimeout(() => finish(true), STREAM_WINDOW_MS) : undefined;
      res.on('data', (b: Buffer) => {
        if (size < BODY_CAP) chunks.push(b);
        size += b.length;
        if (size >= BODY_CAP) {
          clearTimeout(window);
          finish(true);
        }
      });
      res.on('end', () => {
        clearTimeout(window);
        finish(false);
      });
      res.on('error', () => {
        clearTimeout(window);
        finish(true);
      });
    });
    const timer = setTimeout(() => {
      out.destroy();
      done(() => reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    }, REQUEST_TIMEOUT_MS);
    out.on('error', (err) => done(() => reject(err)));
    out.end(req.body);
  });
}

/** Write raw bytes on a fresh connection; the server answers once and closes it. */
export function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw exchange: no close in 10 s'));
    }, 10_000);
    socket.on('data', (b) => chunks.push(b));
    socket.on('error', (err) => {
      clearTimeout(timer);
      // the server may reset after answering: what arrived is the answer
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes, 'latin1');
  });
}

export function closeAgent(): void {
  agent.destroy();
}
