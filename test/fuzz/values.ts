import type { Prng } from './prng.js';

// Hostile values: what a careless or malicious client sends where a string, a number or a JSON document
// is expected. Each list is a mix of the edges that have broken servers (NUL, lone surrogates, prototype
// keys, numbers past int4/int8/double, deep nesting, duplicate keys, invalid JSON) and plain wrong types.

export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\ud83d\ude00',
  '\u202e\u0041\u0042',
  '\u200b',
  '\ufeff',
  '\uffff',
  'e\u0301\u0301\u0301',
  '\u{1d518}\u{1d52b}',
  'ǅ',
  'İ',
  '..',
  '.',
  '../../../../etc/passwd',
  '/etc/passwd',
  '//',
  '\\',
  '%00',
  '%2e%2e%2f',
  '%',
  '%zz',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  'true',
  '0x10',
  '1e3',
  ' 1 ',
  '+1',
  '-1',
  '-0',
  '1.5',
  '9'.repeat(40),
  "' OR '1'='1",
  '"; DROP TABLE sandboxes; --',
  '$(id)',
  '`reboot`',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '-rf',
  '--help',
  '-o allow_other',
  'a:b',
  'k=v',
  'a&b=c',
  '<script>alert(1)</script>',
  'opensandbox.io/id',
  'Running',
  'running',
  'RUNNING',
  'a'.repeat(64),
  'a'.repeat(256),
  'a'.repeat(4097),
  'é'.repeat(3000),
  '\u{10ffff}',
  'sbx-00000000000000000000000000',
  '00000000-0000-0000-0000-000000000000',
];

export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  1.5,
  59,
  60,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  Number.EPSILON,
];

/** Raw number spellings JSON allows (or almost allows) that JSON.stringify never writes. */
export const RAW_NUMBERS: readonly string[] = [
  '1e999',
  '-1e999',
  '1E+2',
  '0.0000001',
  '1.0',
  '-0',
  '00',
  '01',
  '0x10',
  '.5',
  '5.',
  '+1',
  'NaN',
  'Infinity',
  '1_000',
];

/** Bodies that are not (quite) JSON, or JSON that trips parsers. */
export function rawBody(r: Prng): string {
  switch (r.int(16)) {
    case 0:
      return '{';
    case 1:
      return '{"a":}';
    case 2:
      return "{'a': 1}";
    case 3:
      return '{"a": 1,}';
    case 4:
      return '\ufeff{}';
    case 5:
      return '[]'.repeat(1 + r.int(3));
    case 6:
      return `${'['.repeat(5000 + r.int(200_000))}${']'.repeat(r.chance(0.5) ? 0 : 5000)}`;
    case 7:
      return `${'{"a":'.repeat(2000 + r.int(50_000))}1${'}'.repeat(r.chance(0.5) ? 0 : 100)}`;
    case 8:
      return '{"image": {"uri": "x"}, "image": 5, "timeout": 60, "timeout": "60"}';
    case 9:
      return `{"timeout": ${r.pick(RAW_NUMBERS)}, "port": ${r.pick(RAW_NUMBERS)}}`;
    case 10:
      return '"just a string"';
    case 11:
      return 'null';
    case 12:
      return '{"\\ud800": "\\udc00\\u0000"}';
    case 13:
      return '{"__proto__": {"admin": true}, "constructor": {"prototype": {"polluted": 1}}}';
    case 14:
      return Buffer.from('{"a": "\u00ff\u00fe"}', 'latin1').toString('utf8') + '\u0000';
    default:
      return '';
  }
}

export function hostileString(r: Prng): string {
  if (r.chance(0.15)) return r.pick(HOSTILE_STRINGS) + r.pick(HOSTILE_STRINGS);
  return r.pick(HOSTILE_STRINGS);
}

/** Any JSON value, of a random type and (bounded) depth. */
export function hostileJson(r: Prng, depth = 0): unknown {
  const k = r.int(depth > 3 ? 6 : 9);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
    case 3:
      return r.pick(HOSTILE_NUMBERS) * (r.chance(0.2) ? -1 : 1);
    case 4:
    case 5:
      return hostileString(r);
    case 6: {
      const out: unknown[] = [];
      for (let i = r.int(4); i > 0; i--) out.push(hostileJson(r, depth + 1));
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) out[hostileString(r)] = hostileJson(r, depth + 1);
      return out;
    }
  }
}

/** A JSON text with a key that JSON.stringify of an object literal cannot write: __proto__ as an own key. */
export function withProtoKey(value: Record<string, unknown>, protoValue: unknown): string {
  const text = JSON.stringify(value);
  const extra = `"__proto__":${JSON.stringify(protoValue) ?? 'null'}`;
  return text === '{}' ? `{${extra}}` : `{${extra},${text.slice(1)}`;
}
