import type { SessionStateBox } from '../../domain/execd/session-state-port.js';
import { isSealed, labelledSealer } from './secret-box.js';

export function createSessionStateBox(serverKey: Buffer): SessionStateBox {
  const box = labelledSealer(serverKey, 'berth/execd-session-state');
  // a row saved before states were sealed holds `export -p` text, which never looks like a blob
  return { seal: box.seal, open: (stored) => (isSealed(stored) ? box.open(stored) : stored) };
}
