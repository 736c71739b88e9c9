import { describe, expect, it } from 'vitest';
import { createMountSecrets } from '../../src/adapters/crypto/mount-secrets.js';
import { createWebhookSecrets } from '../../src/adapters/crypto/webhook-secrets.js';
import { signingSecrets } from '../../src/domain/webhooks/secrets.js';

const serverKey = Buffer.alloc(32, 7);
const secrets = createWebhookSecrets(serverKey);

// Sealed under serverKey by the code before the port existed (HKDF label 'berth/webhook-secrets'): databases
// written then must still open.
const STORED_BLOB = 'v1:F3Rp9Mje8XMwxPau6udI5rB/0f1vwJAC2egTROwQmEpYuOnJkd6e4qWw+Jf2lfOuoTA=';

describe('webhook secrets', () => {
  it('opens a secret stored by earlier versions', () => {
    expect(secrets.open(STORED_BLOB)).toBe('whsec_c2VhbGVkIGJ5IHYx');
  });

  it('seals and opens, with a fresh IV each time', () => {
    const blob = secrets.seal('whsec_abc');
    expect(blob).not.toContain('whsec_');
    expect(secrets.open(blob)).toBe('whsec_abc');
    expect(secrets.seal('whsec_abc')).not.toBe(blob);
  });

  it('cannot open a mount credential sealed under the same server key, nor be opened by another key', () => {
    expect(() => secrets.open(createMountSecrets(serverKey).seal('creds'))).toThrow();
    expect(() => createWebhookSecrets(Buffer.alloc(32, 8)).open(secrets.seal('x'))).toThrow();
  });

  it('signs with the rotated-out secret only during its grace period', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const ep = { secretEnc: secrets.seal('new'), previousSecretEnc: secrets.seal('old'), previousSecretExpiresAt: new Date(now.getTime() + 1000) };
    expect(signingSecrets(secrets, ep, now)).toEqual(['new', 'old']);
    expect(signingSecrets(secrets, ep, new Date(now.getTime() + 1000))).toEqual(['new']);
  });
});
