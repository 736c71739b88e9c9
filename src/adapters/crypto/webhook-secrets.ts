import type { WebhookSecrets } from '../../domain/webhooks/secrets-port.js';
import { labelledSealer } from './secret-box.js';

// Webhook secrets are sealed with their own key derived from the server key (as mount credentials are,
// under another label).
export const createWebhookSecrets = (serverKey: Buffer): WebhookSecrets => labelledSealer(serverKey, 'berth/webhook-secrets');
