import { isIPv4, isIPv6 } from 'node:net';
import type { Resolver } from './transport.js';

// SSRF guard for webhook URLs. Addresses are compared as bytes, so every spelling of an address
// (::ffff:127.0.0.1, ::ffff:7f00:1, 0x7f.1, 2130706433 after WHATWG URL normalisation) lands on one rule.

type Range = { bytes: number[]; bits: number };

const v4 = (cidr: string): Range => {
  const [ip, bits] = cidr.split('/');
  return { bytes: ip!.split('.').map(Number), bits: Number(bits) };
};

const V4_BLOCKED: Range[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, cloud metadata (169.254.169.254)
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
].map(v4);

const V6_BLOCKED: Range[] = [
  { bytes: Array(12).fill(0), bits: 96 }, // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  { bytes: [0xfc], bits: 7 }, // unique local fc00::/7
  { bytes: [0xfe, 0x80], bits: 10 }, // link-local fe80::/10
  { bytes: [0xfe, 0xc0], bits: 10 }, // site-local (deprecated) fec0::/10
  { bytes: [0xff], bits: 8 }, // multicast
  { bytes: [0x20, 0x01, 0x0d, 0xb8], bits: 32 }, // documentation
  { bytes: [0x01, 0, 0, 0, 0, 0, 0, 0], bits: 64 }, // discard-only 100::/64
];

function inRange(addr: number[], r: Range): boolean {
  for (let bit = 0; bit < r.bits; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((addr[i] ?? 0) & mask) !== ((r.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV6(ip: string): number[] {
  let s = ip.split('%')[0]!; // zone id
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail = s
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** True for loopback, private, link-local, CGNAT, multicast, reserved and documentation addresses. */
export function isDisallowedAddress(ip: string): boolean {
  if (isIPv4(ip)) return V4_BLOCKED.some((r) => inRange(ip.split('.').map(Number), r));
  if (!isIPv6(ip)) return true; // not an address at all: refuse rather than guess
  const b = parseV6(ip);
  const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96) addresses reach an IPv4 host: judge that one
  const embedsV4 =
    (zeros(10) && b[10] === 0xff && b[11] === 0xff) || (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.slice(4, 12).every((x) => x === 0));
  if (embedsV4) return isDisallowedAddress(b.slice(12).join('.'));
  return V6_BLOCKED.some((r) => inRange(b, r));
}

export type UrlCheck = { ok: true } | { ok: false; reason: 'invalid_url' | 'unresolvable' | 'private_address' };

/**
 * Is this URL one berth may POST to? http(s) only; every address the host resolves to must be public unless
 * the operator allows private targets. Checked on create/update and again before each delivery run, for a
 * clear reason early. It cannot close the DNS-rebinding window alone (the connection resolves the name once
 * more): the transport applies isDisallowedAddress again to the addresses it connects to.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean, resolve: Resolver): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'invalid_url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'invalid_url' };
  if (!url.hostname) return { ok: false, reason: 'invalid_url' };
  if (allowPrivate) return { ok: true };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addrs: string[];
  try {
    addrs = isIPv4(host) || isIPv6(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: 'unresolvable' };
  }
  if (addrs.length === 0) return { ok: false, reason: 'unresolvable' };
  return addrs.some(isDisallowedAddress) ? { ok: false, reason: 'private_address' } : { ok: true };
}
