import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config.js';

// Secrets at rest (webhook secrets, volume credentials): AES-256-GCM with a random 96-bit IV per value.
// Blob: "v1:" + base64(iv | tag | ciphertext). The version prefix leaves room for key rotation later.
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function encrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
}

/** Throws when the blob was not made with this key or was altered (GCM authenticates it). */
export function decrypt(key: Buffer, blob: string): string {
  const [version, b64] = blob.split(':', 2);
  if (version !== VERSION || !b64) throw new Error('unknown secret blob format');
  const raw = Buffer.from(b64, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

/**
 * Seal and open under a key derived from the server key for one use (`label`), so a blob from one table can
 * never be opened as another's. The label is part of every stored blob's key: changing it would leave existing
 * databases unable to open what they hold.
 */
export function labelledSealer(serverKey: Buffer, label: string): { seal(plaintext: string): string; open(blob: string): string } {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  const sealKey = deriveKey(serverKey, label);
  return { seal: (plaintext) => encrypt(sealKey, plaintext), open: (blob) => decrypt(sealKey, blob) };
}

/** One server key, a separate 32-byte key per use (HKDF-SHA256, no salt, the label as info). */
export const deriveKey = (serverKey: Buffer, label: string): Buffer => Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), label, 32));

/** Is `stored` a blob `encrypt` made (rather than text stored before a value was sealed)? */
export const isSealed = (stored: string): boolean => stored.startsWith(`${VERSION}:`);

function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error('the server secret key must be 32 bytes (64 hex chars or base64)');
  return key;
}

const cache = new WeakMap<Config, Buffer>();

/**
 * config.secretKey when set; else <dataDir>/secret.key, created (0600, exclusively) on first use. Every
 * process sharing one database must use the same key: set BERTH_SECRET_KEY or share the data dir.
 */
export function loadServerKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  const hit = cache.get(config as Config);
  if (hit) return hit;
  let key: Buffer;
  if (config.secretKey) {
    key = parseKey(config.secretKey);
  } else {
    const file = join(config.dataDir, 'secret.key');
    try {
      key = parseKey(readFileSync(file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      try {
        writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process won the race
      }
      key = parseKey(readFileSync(file, 'utf8'));
    }
  }
  cache.set(config as Config, key);
  return key;
}
