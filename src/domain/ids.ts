import { randomBytes, randomUUID } from 'node:crypto';
import type { Ids } from './ports.js';

/** Time-ordered, prefixed ids (evt_, mnt_, ...): 12 hex chars of ms time, then 16 random hex chars. */
export function prefixedId(prefix: string, nowMs = Date.now()): string {
  return `${prefix}_${nowMs.toString(16).padStart(12, '0')}${randomBytes(8).toString('hex')}`;
}

// Sandbox ids are UUIDs like upstream's, so clients that store or display them see the shape they know.
export const realIds: Ids = {
  sandbox: () => randomUUID(),
  event: () => prefixedId('evt'),
  prefixed: (p) => prefixedId(p),
};
