import { createHmac } from 'node:crypto';
import type { MountSecrets } from '../../domain/volumes/mount-secrets-port.js';
import { decrypt, deriveKey, encrypt } from './secret-box.js';

/** Canonical JSON: object keys sorted, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

// One server key, separate derived keys per use: a hash made for one purpose can never be replayed as
// another, and the sealing key for mount credentials differs from the key webhooks use.
const derive = (serverKey: Buffer, info: string) => deriveKey(serverKey, `berth/${info}`);

export function createMountSecrets(serverKey: Buffer): MountSecrets {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  const hashKeys = {
    'mount-identity': derive(serverKey, 'mount-identity'),
    'credential-fingerprint': derive(serverKey, 'credential-fingerprint'),
  } as const;
  const sealKey = derive(serverKey, 'mount-credentials');
  return {
    keyedHash: (purpose, value) => createHmac('sha256', hashKeys[purpose]).update(canonicalJson(value)).digest('hex'),
    seal: (plaintext) => encrypt(sealKey, plaintext),
    open: (blob) => decrypt(sealKey, blob),
  };
}
