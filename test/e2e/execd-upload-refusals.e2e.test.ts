import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeInstanceContainers, startServer, TEST_API_KEY, type ServerProc } from '../helpers/server.js';
import { TEST_IMAGE } from '../helpers/app.js';

// An upload refused part way through, over a real socket (app.request() has none): the client must get the
// 4xx, never a connection closed under it. The fuzz tier found a malformed part header (a NUL in a
// filename) behind a 227 KB metadata part answered with a hang-up: the parser's error destroyed the request,
// and with it the socket, before the answer went out.

const B = 'berthBOUNDARY';
const LIMIT = 1024 * 1024;

type Answer = { status: number; connection: string | undefined; body: string; clientSent: number; reusedSocket: boolean };

function post(url: string, agent: Agent, parts: { head: string; bodyBytes: number; chunked: boolean; tail?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'content-type': `multipart/form-data; boundary=${B}` };
    const tail = parts.tail ?? '';
    if (!parts.chunked) headers['content-length'] = Buffer.byteLength(parts.head) + parts.bodyBytes + Buffer.byteLength(tail);
    let sent = 0;
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body, clientSent: sent, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
    req.write(parts.head);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const pump = () => {
      while (sent < parts.bodyBytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, parts.bodyBytes - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

const part = (name: string, filename: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n\r\n`;

describe('upload refusals over a real socket', () => {
  let s: ServerProc;
  let spoolDir: string;
  let url: string;
  let sandboxId: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'berth-upload-refusals-'));
    s = await startServer({ env: { BERTH_EXECD_MAX_UPLOAD_BYTES: String(LIMIT), TMPDIR: spoolDir } });
    const res = await s.api('/v1/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        image: { uri: TEST_IMAGE },
        entrypoint: ['tail', '-f', '/dev/null'],
        resourceLimits: { cpu: '250m', memory: '64Mi' },
        timeout: 600,
      }),
    });
    sandboxId = ((await res.json()) as { id: string }).id;
    url = `${s.url}/v1/sandboxes/${sandboxId}/proxy/44772/files/upload`;
    for (let i = 0; i < 50 && (await s.api(`/v1/sandboxes/${sandboxId}/proxy/44772/ping`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    agent.destroy();
    await s?.kill();
    if (s) await removeInstanceContainers(s.instanceId);
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const infoStatus = async (path: string) => (await s.api(`/v1/sandboxes/${sandboxId}/proxy/44772/files/info?path=${encodeURIComponent(path)}`)).status;

  it('a malformed part header behind a big metadata part: 400 on a connection that stays usable', async () => {
    const head = `${part('metadata', 'metadata')}${'{"a":'.repeat(45_000)}1\r\n${part('file', 'a\u0000b')}hello\r\n--${B}--\r\n`;
    const first = await post(url, agent, { head, bodyBytes: 0, chunked: false });
    expect(first.status, first.body).toBe(400);
    expect(JSON.parse(first.body)).toEqual({ code: 'INVALID_REQUEST_BODY', message: expect.any(String) });
    // the body was small enough to discard: the same connection takes the next request
    const next = await post(url, agent, {
      head: `${part('metadata', 'metadata')}{"path":"/tmp/ok.txt"}\r\n${part('file', 'f')}`,
      bodyBytes: 5,
      chunked: false,
      tail: `\r\n--${B}--\r\n`,
    });
    expect(next.status, next.body).toBe(200);
    expect(next.reusedSocket).toBe(true);
    expect(await infoStatus('/tmp/ok.txt')).toBe(200);
  });

  it.each([true, false])('past the limit (chunked %s): 413 at once with Connection: close, nothing written, no spool left', async (chunked) => {
    const total = 256 * 1024 * 1024;
    const head = `${part('metadata', 'metadata')}{"path":"/tmp/big-${chunked}.bin"}\r\n${part('file', 'big')}`;
    const a = await post(url, new Agent({ keepAlive: true }), { head, bodyBytes: total, chunked, tail: `\r\n--${B}--\r\n` });
    expect(a.status, a.body).toBe(413);
    expect(JSON.parse(a.body)).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(String(LIMIT)) });
    expect(a.connection).toBe('close');
    // answered long before the client could send it all (the rest was never read)
    expect(a.clientSent).toBeLessThan(total / 2);
    expect(await infoStatus(`/tmp/big-${chunked}.bin`)).toBe(404);
    expect(readdirSync(spoolDir).filter((f) => f.startsWith('berth-upload-'))).toEqual([]);
  });
});
