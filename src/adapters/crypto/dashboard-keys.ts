import { createHmac } from 'node:crypto';
import type { DashboardSigner } from '../../domain/dashboard/signer-port.js';
import { deriveKey } from './secret-box.js';

// Derived from the server key under labels of their own (as webhook and mount secrets are), so a second
// server process with the same key accepts the same session. Changing a label signs everyone out.
const SESSION_LABEL = 'berth/dashboard-session';
const CSRF_LABEL = 'berth/dashboard-csrf';

export function createDashboardSigner(serverKey: Buffer): DashboardSigner {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  const sessionKey = deriveKey(serverKey, SESSION_LABEL);
  const csrfKey = deriveKey(serverKey, CSRF_LABEL);
  return {
    session: (data) => createHmac('sha256', sessionKey).update(data, 'utf8').digest('base64url'),
    csrf: (data) => createHmac('sha256', csrfKey).update(data, 'utf8').digest('base64url'),
  };
}
