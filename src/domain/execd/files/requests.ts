import { invalid } from '../../errors.js';
import { modeFromWire } from './paths.js';
import type { CodeOf } from '../../error-codes.js';

/** `{mode?, owner?, group?}` of a request entry, checked; mode 0 or absent means "not given", as upstream. */
export type Ownership = { mode?: number; owner?: string; group?: string };

export function ownershipOf(raw: Record<string, unknown>, where: string, code: CodeOf<'invalid'> = 'INVALID_REQUEST_BODY'): Ownership {
  const out: Ownership = {};
  if (raw.mode !== undefined && raw.mode !== null && raw.mode !== 0) {
    try {
      out.mode = modeFromWire(raw.mode, `${where}: mode`);
    } catch (e) {
      throw invalid(code, (e as Error).message);
    }
  }
  for (const key of ['owner', 'group'] as const) {
    const v = raw[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw invalid(code, `${where}: ${key} must be a user or group name.`);
    out[key] = v;
  }
  return out;
}

/** A JSON object keyed by path (`{"/a": {...}}`), each value an object. */
export function entriesByPath(body: unknown): [string, Record<string, unknown>][] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('INVALID_REQUEST_BODY', 'The body must be a JSON object keyed by path.');
  return Object.entries(body).map(([path, v]) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid('INVALID_REQUEST_BODY', `The entry for ${path} must be an object.`);
    return [path, v as Record<string, unknown>];
  });
}
