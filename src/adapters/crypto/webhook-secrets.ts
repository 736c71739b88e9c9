import { hkdfSync } from 'node:crypto';
import type { WebhookSecrets } from '../../domain/webhooks/secrets-port.js';
import { decrypt, encrypt } from './secret-box.js';

// Webhook secrets are sealed with their own key derived from the server key (as mount credentials are,
// under another label), so a blob from one table can never be opened as the other. The label is part of
// every stored blob's key: changing it would leave existing databases unable to open their secrets.
const LABEL = 'berth/webhook-secrets';

export function createWebhookSecrets(serverKey: Buffer): WebhookSecrets {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  const sealKey = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), LABEL, 32));
  return {
    seal: (secret) => encrypt(sealKey, secret),
    open: (blob) => decrypt(sealKey, blob),
  };
}
