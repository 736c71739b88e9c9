import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isDisallowedAddress } from '../../domain/webhooks/address-policy.js';
import type { Resolver, SendRequest, Sender, SendResult } from '../../domain/webhooks/transport.js';
import { AddressNotAllowedError, guardedLookup } from './guarded-lookup.js';

export type { Sender, SendResult };

const USER_AGENT = 'berth-webhooks/1';
const ADDRESS_NOT_ALLOWED = 'address not allowed (private_address at connect)';

// A small answer read to its end leaves the connection in the agent's pool for the next delivery; a
// receiver that sends more than this gets its connection closed instead of our memory.
const BODY_LIMIT = 64 * 1024;

// Idle pooled sockets are closed after this, or 1 s before the receiver's own `Keep-Alive: timeout=`,
// whichever is sooner (Node only honours that hint when the agent has a timeout of its own).
const IDLE_SOCKET_MS = 30_000;

export type HttpSenderOptions = {
  allowPrivate: boolean;
  /** resolves host names at connect time; the system resolver unless a test injects one */
  lookup: Resolver;
};

/**
 * POST with node:http/https, resolving the host through guardedLookup so the address the socket connects
 * to is the one the SSRF policy judged (fetch would resolve it on its own, after our check). Keep-alive
 * reuse is safe: a pooled socket was judged when it connected. Redirects are not followed (Standard
 * Webhooks: 3xx is a failure, and following one would let a public URL bounce us to a private address).
 */
export function createHttpSender(opts: HttpSenderOptions): Sender {
  const lookup = guardedLookup(opts.allowPrivate, opts.lookup);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };
  return async (req) => {
    const started = performance.now();
    const result = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    const failed = (error: string) => result({ statusCode: null, error, retryAfter: null });

    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return failed('invalid url');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return failed('invalid url');
    // Node connects to an IP literal without calling `lookup`, so the literal is judged here.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!opts.allowPrivate && isIP(host) !== 0 && isDisallowedAddress(host)) return failed(ADDRESS_NOT_ALLOWED);
    if (req.signal?.aborted) return failed('aborted');

    const answer = await post(url, req, url.protocol === 'https:' ? { mod: https, agent: agents['https:'] } : { mod: http, agent: agents['http:'] }, lookup);
    if ('error' in answer) return failed(answer.error);
    const ok = answer.statusCode >= 200 && answer.statusCode < 300;
    return result({ statusCode: answer.statusCode, error: ok ? null : `HTTP ${answer.statusCode}`, retryAfter: answer.retryAfter });
  };
}

type Answer = { statusCode: number; retryAfter: string | null } | { error: string };
type Client = { mod: typeof http | typeof https; agent: http.Agent };

/**
 * One POST. Settles once: with the status when the response ends, is cut off at BODY_LIMIT, or when time
 * runs out / the caller aborts after the status arrived (the status is what counts); with an error when
 * no status arrived. Whatever is still open then is destroyed, so its socket never goes back to the pool.
 */
function post(url: URL, req: SendRequest, client: Client, lookup: ReturnType<typeof guardedLookup>): Promise<Answer> {
  return new Promise((resolve) => {
    let outgoing: http.ClientRequest | undefined;
    let head: Answer | null = null;
    let done = false;
    const finish = (a: Answer, drop: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (drop) outgoing?.destroy();
      resolve(a);
    };
    const timer = setTimeout(() => finish(head ?? { error: `timeout after ${req.timeoutMs} ms` }, true), req.timeoutMs);
    const onAbort = () => finish(head ?? { error: 'aborted' }, true);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      outgoing = client.mod.request(url, {
        method: 'POST',
        agent: client.agent,
        lookup,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, 'content-length': Buffer.byteLength(req.body), ...req.headers },
      });
    } catch (err) {
      return finish({ error: describe(err) }, false); // e.g. a header value node refuses to send
    }
    outgoing.on('response', (res) => {
      const got = { statusCode: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] ?? null };
      head = got;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > BODY_LIMIT) finish(got, true);
      });
      res.on('end', () => finish(got, false));
      res.on('error', () => finish(got, true));
      res.on('close', () => finish(got, false));
    });
    outgoing.on('error', (err) => finish(head ?? { error: describe(err) }, true));
    outgoing.end(req.body);
  });
}

// Socket and DNS errors carry the host, port or address in their message; only codes and fixed phrases
// are kept.
function describe(err: unknown): string {
  if (err instanceof AddressNotAllowedError) return ADDRESS_NOT_ALLOWED;
  // autoSelectFamily reports one failure per address tried as an AggregateError
  const e = err as { code?: unknown; errors?: Array<{ code?: unknown }> };
  const code = e?.code ?? e?.errors?.[0]?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return `connection error ${code}`;
  return 'request failed';
}
