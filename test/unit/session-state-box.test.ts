import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSessionStateBox } from '../../src/adapters/crypto/session-state.js';
import { createWebhookSecrets } from '../../src/adapters/crypto/webhook-secrets.js';

describe('execd session state at rest', () => {
  const key = randomBytes(32);
  const state = "export API_TOKEN='tok-1'\nexport PATH='/usr/bin'\n";

  it('seals to a blob without the state in it, and opens it again', () => {
    const box = createSessionStateBox(key);
    const blob = box.seal(state);
    expect(blob).not.toContain('tok-1');
    expect(box.seal(state)).not.toBe(blob); // a fresh IV each time
    expect(box.open(blob)).toBe(state);
  });

  it('refuses a blob sealed under another server key, or under the webhook secrets key', () => {
    const blob = createSessionStateBox(key).seal(state);
    expect(() => createSessionStateBox(randomBytes(32)).open(blob)).toThrow();
    expect(() => createSessionStateBox(key).open(createWebhookSecrets(key).seal(state))).toThrow();
  });

  it('reads a state saved as text before sealing as it is', () => {
    expect(createSessionStateBox(key).open(state)).toBe(state);
    expect(createSessionStateBox(key).open('')).toBe('');
  });
});
