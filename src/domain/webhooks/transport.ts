/**
 * What webhook delivery needs from the network, as a port: an HTTP sender and a host-name resolver.
 * adapters/webhooks implements both (node:http(s), node:dns); tests may pass their own. A Sender must refuse
 * to connect to addresses the SSRF policy blocks (checked on the addresses it actually connects to), since
 * the name may resolve differently than it did for the up-front check.
 */

/** What one HTTP attempt came to. `error` is a short, secret-free description (never the URL). */
export type SendResult = {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  retryAfter: string | null;
};

export type SendRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** aborts the request early (server shutdown) */
  signal?: AbortSignal;
};

export type Sender = (req: SendRequest) => Promise<SendResult>;

/** All addresses a host name resolves to. */
export type Resolver = (host: string) => Promise<string[]>;

export type WebhookTransport = { send: Sender; resolve: Resolver };
