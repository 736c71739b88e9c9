import type { Sender, SendResult } from '../../domain/webhooks/transport.js';

export type { Sender, SendResult };

const USER_AGENT = 'berth-webhooks/1';

/**
 * POST with global fetch. Redirects are not followed (Standard Webhooks: 3xx is a failure, and following
 * them would let a public URL bounce the request to a private address). The response body is discarded.
 */
export const fetchSender: Sender = async (req) => {
  const started = performance.now();
  try {
    const res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...req.headers },
      body: req.body,
      redirect: 'manual',
      signal: req.signal ? AbortSignal.any([AbortSignal.timeout(req.timeoutMs), req.signal]) : AbortSignal.timeout(req.timeoutMs),
    });
    await drain(res.body);
    const ok = res.status >= 200 && res.status < 300;
    return {
      statusCode: res.status,
      durationMs: Math.round(performance.now() - started),
      error: ok ? null : `HTTP ${res.status}`,
      retryAfter: res.headers.get('retry-after'),
    };
  } catch (err) {
    return { statusCode: null, durationMs: Math.round(performance.now() - started), error: describe(err, req.timeoutMs), retryAfter: null };
  }
};

// Reading a small answer to its end lets undici keep the connection alive for the next delivery;
// a receiver that sends more than this gets its connection closed instead of our memory.
const DRAIN_LIMIT = 64 * 1024;

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > DRAIN_LIMIT) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    /* the status is what counts */
  }
}

// undici wraps the socket error in `cause`; its message can contain the host and port, so only codes
// and fixed phrases are kept.
function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return `timeout after ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return `connection error ${code}`;
  return 'request failed';
}
