import { invalid } from '../errors.js';
import type { CodeOf } from '../error-codes.js';

// Kubernetes label rules, as upstream validates metadata (DESIGN.md upstream §6).
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
export const RESERVED_PREFIX = 'opensandbox.io/';
/**
 * Keys that name an object's prototype machinery. JSON.parse makes `__proto__` an own key, but assigning it
 * to a plain object (as zod's record parse and object spreads do) sets the prototype instead, so the label
 * would vanish without a word; `constructor` and `prototype` read back as functions from a plain object.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuse a raw (not yet schema-parsed) metadata map with a prototype key, while the key is still there to
 * see: after parsing it is gone. Anything not an object is left to the schema.
 */
export function assertNoPrototypeKeys(raw: unknown): void {
  if (raw === null || typeof raw !== 'object') return;
  const key = Object.keys(raw).find((k) => PROTOTYPE_KEYS.has(k));
  if (key !== undefined) throw invalid('SANDBOX::INVALID_METADATA_LABEL', `Invalid metadata label: '${key}' is not allowed as a key.`);
}

export function labelKeyProblem(key: string): string | null {
  if (PROTOTYPE_KEYS.has(key)) return `'${key}' is not allowed as a key`;
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `prefix of '${key}' must be a DNS subdomain of at most 253 characters`;
  if (name.length === 0 || name.length > 63 || !NAME.test(name))
    return `name of '${key}' must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric`;
  return null;
}

export function labelValueProblem(key: string, value: string): string | null {
  if (value.length > 63 || !VALUE.test(value)) return `value of '${key}' must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric`;
  return null;
}

/**
 * Validate metadata as labels. `reservedCode` differs by path, as upstream: create answers
 * SANDBOX::INVALID_METADATA_LABEL, PATCH answers INVALID_METADATA_LABEL for a reserved key.
 */
export function assertValidMetadata(md: Record<string, string | null>, reservedCode: CodeOf<'invalid'>): void {
  for (const [key, value] of Object.entries(md)) {
    if (key.startsWith(RESERVED_PREFIX)) throw invalid(reservedCode, `Metadata key '${key}' uses the reserved prefix '${RESERVED_PREFIX}'.`);
    const kp = labelKeyProblem(key);
    if (kp) throw invalid('SANDBOX::INVALID_METADATA_LABEL', `Invalid metadata label: ${kp}.`);
    if (value === null) continue;
    const vp = labelValueProblem(key, value);
    if (vp) throw invalid('SANDBOX::INVALID_METADATA_LABEL', `Invalid metadata label: ${vp}.`);
  }
}

/** RFC 7396 merge patch on a flat string map: null deletes, a string sets, absent keys stay. */
export function mergeMetadata(current: Record<string, string>, patch: Record<string, string | null>): Record<string, string> {
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/**
 * The list filter: ONE query parameter whose (already URL-decoded) value is `k=v&k2=v2`. Like Python's
 * parse_qsl(strict_parsing=True, keep_blank_values=True): each segment needs an '=', and the pieces
 * are percent-decoded once more ('+' is a space). A malformed segment is a 400, and so is a prototype key.
 */
export function parseMetadataFilter(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === '') return out;
  for (const segment of raw.split('&')) {
    const eq = segment.indexOf('=');
    if (eq <= 0) throw invalid('INVALID_METADATA_FORMAT', `Invalid metadata format: segment '${segment}' is not key=value.`);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(segment.slice(0, eq).replace(/\+/g, ' '));
      value = decodeURIComponent(segment.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw invalid('INVALID_METADATA_FORMAT', `Invalid metadata format: segment '${segment}' has a bad percent-encoding.`);
    }
    // The URL guard sees only the first decoding: `%2500` reaches here as `%00`, a NUL Postgres' jsonb refuses.
    if (`${key}${value}`.includes('\0')) throw invalid('INVALID_METADATA_FORMAT', `Invalid metadata format: segment '${segment}' decodes to a NUL character.`);
    // `out['__proto__'] = v` would drop the pair without a word, and the filter would then match every
    // sandbox. No label can have such a key: refused as create and PATCH refuse it.
    if (PROTOTYPE_KEYS.has(key)) throw invalid('SANDBOX::INVALID_METADATA_LABEL', `Invalid metadata label: '${key}' is not allowed as a key.`);
    out[key] = value;
  }
  return out;
}
