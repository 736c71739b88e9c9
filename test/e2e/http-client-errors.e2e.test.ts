import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_API_KEY, type ServerProc } from '../helpers/server.js';

// What Node's HTTP parser refuses never reaches Hono: a 20 KB header (431), a malformed request line or
// header (400). A real server process (main.ts) and a raw socket, since fetch cannot send such requests:
// every answer must still be berth's {code, message} JSON with an X-Request-ID.

type RawAnswer = { status: number; headers: Record<string, string>; body: string; raw: string };

/** Write bytes on a fresh connection and read until the server closes it. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (b) => chunks.push(b));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(bytes);
  });
}

/** Split one HTTP/1.1 answer (the text may hold several, keep-alive); Content-Length bodies only. */
function parseAnswers(raw: string): RawAnswer[] {
  const out: RawAnswer[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`no header end in ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body, raw: rest.slice(0, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

const REQUEST_ID = /^[0-9a-f]{32}$/;

describe('answers of the HTTP parser itself (clientError) on a real server', () => {
  let s: ServerProc;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s?.kill();
  });

  const expectBerthError = (a: RawAnswer, status: number, code: string) => {
    expect(a.status, a.raw).toBe(status);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['x-request-id']).toMatch(REQUEST_ID);
    expect(a.headers.connection).toBe('close');
    expect(JSON.parse(a.body)).toEqual({ code, message: expect.any(String) });
    // the id is the one the server logged for this refusal
    expect(s.lines.some((l) => l.includes(a.headers['x-request-id']!) && l.includes('malformed request refused'))).toBe(true);
  };

  it('a 20 KB header: 431 GENERAL::HEADERS_TOO_LARGE', async () => {
    const raw = await rawExchange(s.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const answers = parseAnswers(raw);
    expect(answers).toHaveLength(1);
    expectBerthError(answers[0]!, 431, 'GENERAL::HEADERS_TOO_LARGE');
  });

  it('HEAD with a 20 KB header: 431 without a body, which a strict client (node:http) reads as one answer', async () => {
    const raw = await rawExchange(s.port, `HEAD /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw.endsWith('\r\n\r\n')).toBe(true);
    const answer = await new Promise<{ status: number; requestId: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, method: 'HEAD', path: `/health?${'a'.repeat(20_000)}` }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 431, requestId: expect.stringMatching(REQUEST_ID) });
  });

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ['an unknown HTTP version', 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a header name with a space', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'],
    ['a NUL in the request target', 'GET /he\0alth HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['two Content-Length headers that disagree', 'POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
  ])('%s: 400 GENERAL::MALFORMED_REQUEST', async (_label, bytes) => {
    const answers = parseAnswers(await rawExchange(s.port, bytes));
    expect(answers).toHaveLength(1);
    expectBerthError(answers[0]!, 400, 'GENERAL::MALFORMED_REQUEST');
  });

  it('a malformed request pipelined behind a good one: the first answer is whole, then 400', async () => {
    const raw = await rawExchange(s.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n');
    const answers = parseAnswers(raw);
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(JSON.parse(answers[0]!.body)).toEqual({ status: 'healthy' });
    expectBerthError(answers[1]!, 400, 'GENERAL::MALFORMED_REQUEST');
    expect(answers[0]!.headers['x-request-id']).not.toBe(answers[1]!.headers['x-request-id']);
  });

  // The route may or may not have answered the head it got (401) before the parser met the body; either
  // way the connection ends with berth's 400, and never hangs waiting for a body that cannot end.
  it.each([
    ['chunked framing', 'POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    [
      'chunked framing, with the key',
      `POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nOPEN-SANDBOX-API-KEY: ${TEST_API_KEY}\r\nContent-Type: application/json\r\n` +
        'Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz\r\n',
    ],
  ])('a body that breaks its %s: 400 at the end, no hang', async (_label, bytes) => {
    const answers = parseAnswers(await rawExchange(s.port, bytes));
    expect(answers.length).toBeGreaterThanOrEqual(1);
    expect(answers.slice(0, -1).map((a) => a.status)).toEqual(answers.length > 1 ? [401] : []);
    expectBerthError(answers.at(-1)!, 400, 'GENERAL::MALFORMED_REQUEST');
  });

  it('a malformed request on a kept-alive connection after a finished answer: 400', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(s.port, '127.0.0.1');
      let text = '';
      socket.on('data', (b) => {
        text += b.toString('latin1');
        // the first answer is complete: send the bad request on the same connection
        if (text.includes('"healthy"') && !text.includes('GENERAL::')) socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Bad\0: y\r\n\r\n');
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    const answers = parseAnswers(raw);
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expectBerthError(answers[1]!, 400, 'GENERAL::MALFORMED_REQUEST');
  });

  it('the server still answers afterwards', async () => {
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
  });
});
