/**
 * Keyed MACs for the dashboard (implemented by crypto/dashboard-keys.ts among the adapters). Both keys are
 * derived from the server key, so every process sharing the database (and so the key) accepts the same
 * session cookie and CSRF token; no session table is needed. Sessions and CSRF tokens use different keys,
 * so a token of one kind can never be presented as the other.
 */
export interface DashboardSigner {
  /** base64url HMAC-SHA256 of `data` under the session key */
  session(data: string): string;
  /** base64url HMAC-SHA256 of `data` under the CSRF key */
  csrf(data: string): string;
}
