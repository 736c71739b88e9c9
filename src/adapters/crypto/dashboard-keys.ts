import { createHmac, hkdfSync } from 'node:crypto';
import type { DashboardSigner } from '../../domain/dashboard/signer-port.js';

// Derived from the server key under labels of their own (as webhook and mount secrets are), so a second
// server process with the same key accepts the same session. Changing a label signs everyone out.
const SESSION_LABEL = 'berth/dashboard-session';
const CSRF_LABEL = 'berth/dashboard-csrf';

const derive = (serverKey: Buffer, label: string) => Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), label, 32));

export function createDashboardSigner(serverKey: Buffer): DashboardSigner {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  const sessionKey = derive(serverKey, SESSION_LABEL);
  const csrfKey = derive(serverKey, CSRF_LABEL);
  return {
    session: (data) => createHmac('sha256', sessionKey).update(data, 'utf8').digest('base64url'),
    csrf: (data) => createHmac('sha256', csrfKey).update(data, 'utf8').digest('base64url'),
  };
}
