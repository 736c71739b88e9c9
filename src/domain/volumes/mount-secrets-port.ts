/**
 * Keyed hashing and encryption under the server key (src/adapters/crypto/mount-secrets.ts). The ledger
 * never stores a secret in clear: identities and credential fingerprints are HMACs, and the credentials
 * needed to remount after a crash are sealed with AES-256-GCM.
 */
export interface MountSecrets {
  /** hex HMAC-SHA256 of a canonical JSON encoding of value, under a key derived for `purpose` */
  keyedHash(purpose: 'mount-identity' | 'credential-fingerprint', value: unknown): string;
  seal(plaintext: string): string;
  /** throws when the blob was sealed under another key or altered */
  open(blob: string): string;
}
