/**
 * Encryption of webhook signing secrets at rest (implemented by crypto/webhook-secrets.ts among the
 * adapters). The database only ever holds sealed blobs; a secret is opened just before a delivery is signed.
 */
export interface WebhookSecrets {
  seal(secret: string): string;
  /** throws when the blob was sealed under another key or altered */
  open(blob: string): string;
}
