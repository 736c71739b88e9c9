import type { Server } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import type { Logger } from '../domain/ports.js';
import { newRequestId, REQUEST_ID_HEADER } from './middleware/request-id.js';

type Answer = { status: number; reason: string; code: string; message: string };

/**
 * What Node's HTTP parser refuses before any request exists (so before Hono, its request id and its error
 * body): by the parser's error code, the answer Node itself would give, with berth's {code, message} body.
 */
const ANSWERS: Record<string, Answer> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'GENERAL::HEADERS_TOO_LARGE',
    message: 'The request headers exceed the server limit (16 KiB in all).',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: 'Payload Too Large',
    code: 'GENERAL::PAYLOAD_TOO_LARGE',
    message: 'The chunk extensions of the request body exceed the server limit.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    code: 'GENERAL::REQUEST_TIMEOUT',
    message: 'The request was not received in time.',
  },
};
const MALFORMED: Answer = { status: 400, reason: 'Bad Request', code: 'GENERAL::MALFORMED_REQUEST', message: 'The request is not valid HTTP/1.1.' };

/**
 * The bytes of one complete answer; the connection closes after it (the parser cannot resync). An answer
 * to HEAD has no body (a client would read the body as a second, broken answer).
 */
export function clientErrorResponse(errCode: string | undefined, requestId: string, head = false): string {
  const a = (errCode !== undefined && ANSWERS[errCode]) || MALFORMED;
  const body = JSON.stringify({ code: a.code, message: a.message });
  return (
    `HTTP/1.1 ${a.status} ${a.reason}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `${REQUEST_ID_HEADER}: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    (head ? '' : body)
  );
}

/**
 * Whether the refused bytes were a HEAD request. The parser hands over the chunk it failed on, which starts
 * with the request line unless the request came in several chunks; then the answer keeps its body.
 */
function isHead(err: NodeJS.ErrnoException & { rawPacket?: unknown }): boolean {
  return Buffer.isBuffer(err.rawPacket) && err.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
}

/**
 * Answer Node's 'clientError' (a malformed request, headers over the limit, a request timeout) like every
 * other berth error: a JSON {code, message} body and an X-Request-ID, logged under that id. Installed once
 * on every server that serves the app (main.ts; test/helpers/listen.ts for in-process test servers).
 *
 * A pipelined request may still be answering on this socket (the parser read the bad bytes behind it): its
 * answer is let finish first, so the two never interleave (Node's own handler would cut it off). When the
 * bad bytes are the body of the request being answered, that answer cannot finish: ours goes out at once.
 */
export function answerClientErrors(server: Server, log: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const requestId = newRequestId();
    log.info({ requestId, parserCode: err.code }, 'malformed request refused before routing');
    const answer = () => {
      if (!socket.writable) return socket.destroy();
      socket.end(clientErrorResponse(err.code, requestId, isHead(err)), () => socket.destroy());
    };
    type InFlight = Writable & { headersSent?: boolean; req?: { complete?: boolean } };
    const inFlight = (socket as Duplex & { _httpMessage?: InFlight | null })._httpMessage;
    if (!inFlight || inFlight.writableFinished) return answer();
    // pipelined behind a whole request: its answer comes first
    if (inFlight.req?.complete) return void inFlight.once('finish', answer);
    // the bad bytes are that request's own body, which will never end: waiting would hang the connection.
    // Answer now unless its answer already started (then nothing clean can follow it: close).
    if (inFlight.headersSent) return socket.destroy();
    answer();
  });
}
