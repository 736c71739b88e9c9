import { createHmac, randomBytes } from 'node:crypto';

// Standard Webhooks (spec/standard-webhooks.md): the secret is `whsec_` + base64 of 24-64 random bytes and
// the HMAC key is the decoded bytes, not the string. The signed content is `${id}.${timestamp}.${body}`.
const PREFIX = 'whsec_';

export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error('webhook secret must start with whsec_');
  return Buffer.from(secret.slice(PREFIX.length), 'base64');
}

/** One `v1,<base64 HMAC-SHA256>` signature. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * The three Standard Webhooks headers. Several secrets (current first, then a rotated-out one still in its
 * grace period) give several space-separated signatures; a receiver accepts the request if any one matches.
 */
export function signedHeaders(secrets: string[], id: string, timestampSeconds: number, body: string): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => sign(s, id, timestampSeconds, body)).join(' '),
  };
}
