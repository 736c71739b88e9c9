import { request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { DomainError } from '../../domain/errors.js';
import type { ProxyTarget } from '../../domain/sandbox/proxy-target.js';
import { hostPort, pairsOfRaw, requestHeaders, responseHeaders, type Forwarded, type HeaderPairs } from './headers.js';

/** A target that does not even accept the connection in this long is as good as down. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Statuses whose response has no body by definition (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export const upstreamUnavailable = () =>
  // Not the address, not the errno: the client learns the sandbox port did not answer, nothing about the host.
  new DomainError('upstream', 'SANDBOX::PROXY_UPSTREAM_UNAVAILABLE', 'The sandbox port did not accept the connection.');

/**
 * Forward one HTTP request to `target` and answer with its response, both bodies streamed (a 5 GB upload
 * or an endless SSE stream never sits in memory).
 *
 * node's http.request rather than fetch: fetch decodes Content-Encoding on the way in while keeping the
 * header (the client would get plain bytes labelled gzip), follows redirects unless told not to, and
 * normalises headers; http.request passes status, headers and bytes through as the sandbox sent them.
 * `agent: false` = one connection per request: a pooled keep-alive socket could outlive its sandbox and,
 * once the host port is reused, carry the next request to another sandbox.
 */
export function forwardHttp(req: Request, target: ProxyTarget, path: string, fwd: Forwarded): Promise<Response> {
  const headers = toNodeHeaders(requestHeaders([...req.headers], hostPort(target.host, target.port), fwd));
  return new Promise<Response>((resolve, reject) => {
    const out = request({ host: target.host, port: target.port, method: req.method, path, headers, agent: false });
    const timer = setTimeout(() => out.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    out.once('socket', (s) => (s.connecting ? s.once('connect', () => clearTimeout(timer)) : clearTimeout(timer)));
    out.once('error', () => {
      clearTimeout(timer);
      reject(upstreamUnavailable()); // after a response started, rejecting a settled promise is a no-op
    });
    out.once('response', (res) => {
      clearTimeout(timer);
      try {
        resolve(toResponse(res, req.method === 'HEAD'));
      } catch {
        res.destroy();
        reject(upstreamUnavailable());
      }
    });
    // The client hanging up aborts the upstream request too (and its body stream errors into `out`).
    req.signal?.addEventListener('abort', () => out.destroy(), { once: true });
    if (req.body)
      Readable.fromWeb(req.body as never)
        .on('error', (e) => out.destroy(e))
        .pipe(out);
    else out.end();
  });
}

function toResponse(res: IncomingMessage, head: boolean): Response {
  const status = res.statusCode ?? 502;
  const headers = new Headers();
  for (const [k, v] of responseHeaders(pairsOfRaw(res.rawHeaders))) headers.append(k, v);
  if (head || NULL_BODY.has(status)) {
    res.resume();
    return new Response(null, { status, headers }); // a status outside 200..599 throws: answered 502
  }
  return new Response(Readable.toWeb(res) as ReadableStream, { status, headers });
}

function toNodeHeaders(pairs: HeaderPairs): OutgoingHttpHeaders {
  const grouped: Record<string, string[]> = {};
  for (const [k, v] of pairs) (grouped[k.toLowerCase()] ??= []).push(v);
  // A one-element array would still be sent fine, but node reads `host` and `content-length` as strings.
  return Object.fromEntries(Object.entries(grouped).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
}
