import type { SessionStateBox } from '../../domain/execd/session-state-port.js';
import { labelledSealer } from './secret-box.js';

const SEALED = 'v1:'; // secret-box's blob prefix; a saved state (`export -p` output) never starts so

export function createSessionStateBox(serverKey: Buffer): SessionStateBox {
  const box = labelledSealer(serverKey, 'berth/execd-session-state');
  return { seal: box.seal, open: (stored) => (stored.startsWith(SEALED) ? box.open(stored) : stored) };
}
