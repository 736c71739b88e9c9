import { isIPv4, isIPv6 } from 'node:net';
import type { Resolver } from './transport.js';

// SSRF guard for webhook URLs. Addresses are compared as bytes, so every spelling of an address
// (::ffff:127.0.0.1, ::ffff:7f00:1, 0x7f.1, 2130706433 after WHATWG URL normalisation) lands on one rule,
// and an IPv6 address that carries an IPv4 one is judged by the IPv4 rule too.

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
  // local-use NAT64 64:ff9b:1::/48 (RFC 8215): where the IPv4 address sits depends on the operator's
  // prefix length, and nothing public lives there
  { bytes: [0, 0x64, 0xff, 0x9b, 0, 0x01], bits: 48 },
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

/**
 * The IPv4 addresses an IPv6 address carries to an IPv4 host (a translator, a relay or the kernel's own
 * dual stack delivers to them), so the IPv4 rule judges them:
 * - IPv4-mapped ::ffff:a.b.c.d (RFC 4291) and IPv4-translated ::ffff:0:a.b.c.d (RFC 2765 SIIT);
 * - NAT64 well-known prefix 64:ff9b::/96 (RFC 6052);
 * - 6to4 2002:AABB:CCDD::/48 (RFC 3056), the relay's target in bits 16-47;
 * - Teredo 2001:0::/32 (RFC 4380): the server in bits 32-63 and the client, inverted, in the last 32 bits.
 * IPv4-compatible ::a.b.c.d needs no extraction: all of ::/96 is refused (V6_BLOCKED).
 */
function embeddedV4(b: number[]): number[][] {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const at = (i: number) => b.slice(i, i + 4);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return [at(12)];
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12)) return [at(12)];
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return [at(12)];
  if (b[0] === 0x20 && b[1] === 0x02) return [at(2)];
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) return [at(4), at(12).map((x) => x ^ 0xff)];
  return [];
}

const isDisallowedV4 = (bytes: number[]) => V4_BLOCKED.some((r) => inRange(bytes, r));

/**
 * True for loopback, private, link-local, CGNAT, multicast, reserved and documentation addresses, and for
 * every IPv6 address that embeds one of those IPv4 addresses (mapped, translated, compatible, NAT64, 6to4,
 * Teredo), whatever its spelling: the address is judged as its 16 bytes.
 */
export function isDisallowedAddress(ip: string): boolean {
  if (isIPv4(ip)) return isDisallowedV4(ip.split('.').map(Number));
  if (!isIPv6(ip)) return true; // not an address at all: refuse rather than guess
  const b = parseV6(ip);
  if (V6_BLOCKED.some((r) => inRange(b, r))) return true;
  return embeddedV4(b).some(isDisallowedV4);
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
