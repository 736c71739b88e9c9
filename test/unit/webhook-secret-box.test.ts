import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, loadServerKey } from '../../src/adapters/crypto/secret-box.js';

describe('secret box (AES-256-GCM)', () => {
  it('round-trips and never stores the plaintext', () => {
    const key = randomBytes(32);
    const blob = encrypt(key, 'whsec_c2VjcmV0');
    expect(blob).not.toContain('whsec_');
    expect(blob).not.toBe(encrypt(key, 'whsec_c2VjcmV0')); // random IV
    expect(decrypt(key, blob)).toBe('whsec_c2VjcmV0');
  });

  it('refuses another key and a modified blob', () => {
    const key = randomBytes(32);
    const blob = encrypt(key, 'secret');
    expect(() => decrypt(randomBytes(32), blob)).toThrow();
    const raw = Buffer.from(blob.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => decrypt(key, `v1:${raw.toString('base64')}`)).toThrow();
  });

  it('uses config.secretKey (hex) or creates a 0600 key file in the data dir once', () => {
    const hex = randomBytes(32).toString('hex');
    expect(loadServerKey({ secretKey: hex, dataDir: '/nonexistent' }).toString('hex')).toBe(hex);
    const dir = mkdtempSync(join(tmpdir(), 'berth-key-'));
    const a = loadServerKey({ secretKey: undefined, dataDir: dir });
    const b = loadServerKey({ secretKey: undefined, dataDir: dir });
    expect(a.equals(b)).toBe(true);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(a.toString('hex'));
  });
});
