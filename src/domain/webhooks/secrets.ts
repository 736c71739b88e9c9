import type { Config } from '../../config.js';
import { decrypt, encrypt, loadServerKey } from '../../adapters/crypto/secret-box.js';
import type { WebhookEndpointRow } from './rows.js';

type KeyConfig = Pick<Config, 'secretKey' | 'dataDir'>;

export const sealSecret = (config: KeyConfig, secret: string) => encrypt(loadServerKey(config), secret);

/** The secrets a delivery is signed with now: the current one, plus the rotated-out one during its grace period. */
export function signingSecrets(
  config: KeyConfig,
  ep: Pick<WebhookEndpointRow, 'secretEnc' | 'previousSecretEnc' | 'previousSecretExpiresAt'>,
  now: Date,
): string[] {
  const key = loadServerKey(config);
  const out = [decrypt(key, ep.secretEnc)];
  if (ep.previousSecretEnc && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt > now) {
    out.push(decrypt(key, ep.previousSecretEnc));
  }
  return out;
}
