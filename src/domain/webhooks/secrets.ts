import type { WebhookEndpointRow } from './rows.js';
import type { WebhookSecrets } from './secrets-port.js';

/** The secrets a delivery is signed with now: the current one, plus the rotated-out one during its grace period. */
export function signingSecrets(
  secrets: WebhookSecrets,
  ep: Pick<WebhookEndpointRow, 'secretEnc' | 'previousSecretEnc' | 'previousSecretExpiresAt'>,
  now: Date,
): string[] {
  const out = [secrets.open(ep.secretEnc)];
  if (ep.previousSecretEnc && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt > now) {
    out.push(secrets.open(ep.previousSecretEnc));
  }
  return out;
}
