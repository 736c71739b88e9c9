import { hkdfSync } from 'node:crypto';
import type { Config } from '../../config.js';
import { decrypt, encrypt, loadServerKey } from '../../adapters/crypto/secret-box.js';
import type { WebhookEndpointRow } from './rows.js';

type KeyConfig = Pick<Config, 'secretKey' | 'dataDir'>;

// Webhook secrets are sealed with their own key derived from the server key (as mount credentials are,
// under another label), so a blob from one table can never be opened as the other.
const derived = new WeakMap<Buffer, Buffer>();
function sealingKey(config: KeyConfig): Buffer {
  const server = loadServerKey(config);
  let key = derived.get(server);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', server, Buffer.alloc(0), 'berth/webhook-secrets', 32));
    derived.set(server, key);
  }
  return key;
}

export const sealSecret = (config: KeyConfig, secret: string) => encrypt(sealingKey(config), secret);

/** The secrets a delivery is signed with now: the current one, plus the rotated-out one during its grace period. */
export function signingSecrets(
  config: KeyConfig,
  ep: Pick<WebhookEndpointRow, 'secretEnc' | 'previousSecretEnc' | 'previousSecretExpiresAt'>,
  now: Date,
): string[] {
  const key = sealingKey(config);
  const out = [decrypt(key, ep.secretEnc)];
  if (ep.previousSecretEnc && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt > now) {
    out.push(decrypt(key, ep.previousSecretEnc));
  }
  return out;
}
