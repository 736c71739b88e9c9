import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isDisallowedAddress } from '../../src/domain/webhooks/address-policy.js';
import { dnsResolver } from '../../src/adapters/webhooks/dns-resolver.js';

describe('SSRF address classification', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.7',
    '::1',
    '::',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '::127.0.0.1',
    '2001:db8::1',
  ])('refuses %s', (ip) => expect(isDisallowedAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001::200e'])(
    'allows %s',
    (ip) => expect(isDisallowedAddress(ip)).toBe(false),
  );

  it('treats a non-address as disallowed', () => expect(isDisallowedAddress('not-an-ip')).toBe(true));
});

// Every IPv6 form that carries an IPv4 address to an IPv4 host, each with a blocked address in several
// spellings (dotted tail, hex, leading zeros, upper case, uncompressed) and the same form with a public one.
describe('IPv6 addresses that embed an IPv4 address', () => {
  const forms: Array<[form: string, blocked: string[], allowed: string[]]> = [
    [
      'IPv4-mapped ::ffff:0:0/96',
      [
        '::ffff:127.0.0.1',
        '::ffff:7f00:1',
        '::FFFF:7F00:0001',
        '0:0:0:0:0:ffff:7f00:1',
        '0000:0000:0000:0000:0000:ffff:a9fe:a9fe',
        '::ffff:192.168.0.1',
        '::ffff:100.64.0.1',
      ],
      ['::ffff:8.8.8.8', '::ffff:808:808'],
    ],
    [
      'IPv4-translated ::ffff:0:0:0/96',
      [
        '::ffff:0:7f00:1',
        '::ffff:0:127.0.0.1',
        '0:0:0:0:ffff:0:7f00:1',
        '::FFFF:0:A9FE:A9FE',
        '0000:0000:0000:0000:ffff:0000:0a00:0001',
        '::ffff:0:172.16.5.4',
      ],
      ['::ffff:0:808:808', '::ffff:0:1.1.1.1'],
    ],
    ['IPv4-compatible ::/96 (deprecated: refused whatever it embeds)', ['::127.0.0.1', '::7f00:1', '::a9fe:a9fe', '0:0:0:0:0:0:10.0.0.1', '::8.8.8.8'], []],
    [
      'NAT64 well-known prefix 64:ff9b::/96',
      ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1', '0064:ff9b:0000:0000:0000:0000:a9fe:a9fe', '64:FF9B::10.1.2.3', '64:ff9b::c0a8:101'],
      ['64:ff9b::8.8.8.8', '64:ff9b::808:808'],
    ],
    ['local-use NAT64 64:ff9b:1::/48 (refused as a whole)', ['64:ff9b:1::7f00:1', '64:ff9b:1:7f00:1::', '64:ff9b:1:ffff::808:808', '64:ff9b:1::8.8.8.8'], []],
    [
      '6to4 2002::/16',
      ['2002:7f00:1::', '2002:7f00:0001::1', '2002:a9fe:a9fe::1', '2002:0a00:0001:1234::5', '2002:C0A8:0101::', '2002:6440:1::1', '2002::1'],
      ['2002:808:808::1', '2002:0808:0808:abcd::1'],
    ],
    [
      'Teredo 2001:0::/32 (server and inverted client)',
      ['2001:0:7f00:1::1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '2001:0000:a9fe:a9fe:0:0:0:1', '2001::f5ff:fffe'],
      ['2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
    ],
  ];

  describe.each(forms)('%s', (_form, blocked, allowed) => {
    it.each(blocked)('refuses %s', (ip) => expect(isDisallowedAddress(ip)).toBe(true));
    if (allowed.length > 0) it.each(allowed)('allows %s', (ip) => expect(isDisallowedAddress(ip)).toBe(false));
  });

  it('refuses them as URL hosts too, in whatever notation the URL was written', async () => {
    const never = async (): Promise<string[]> => {
      throw new Error('an IP literal is never resolved');
    };
    for (const u of [
      'http://[::ffff:0:7f00:1]/',
      'http://[::ffff:0:127.0.0.1]:8080/hook',
      'https://[0:0:0:0:ffff:0:7f00:1]/',
      'http://[64:ff9b::169.254.169.254]/latest',
      'http://[2002:7f00:1::1]/',
      'http://[2002:a9fe:a9fe::]/',
      'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
      'http://[::127.0.0.1]/',
    ]) {
      expect(await checkWebhookUrl(u, false, never), u).toEqual({ ok: false, reason: 'private_address' });
    }
    expect(await checkWebhookUrl('http://[2002:808:808::1]/', false, never)).toEqual({ ok: true });
  });

  it('refuses a name whose AAAA answer embeds a blocked IPv4 address', async () => {
    for (const aaaa of ['::ffff:0:7f00:1', '64:ff9b::a9fe:a9fe', '2002:a00:1::1']) {
      expect(await checkWebhookUrl('https://hooks.example.com/x', false, async () => ['93.184.216.34', aaaa]), aaaa).toEqual({
        ok: false,
        reason: 'private_address',
      });
    }
  });
});

describe('checkWebhookUrl', () => {
  const resolveTo =
    (...addrs: string[]) =>
    async () =>
      addrs;

  it('accepts a public https URL', async () => {
    expect(await checkWebhookUrl('https://hooks.example.com/x', false, resolveTo('93.184.216.34'))).toEqual({ ok: true });
  });

  it('refuses a host that resolves to loopback, even when one address is public', async () => {
    expect(await checkWebhookUrl('https://rebind.example/x', false, resolveTo('93.184.216.34', '127.0.0.1'))).toEqual({
      ok: false,
      reason: 'private_address',
    });
  });

  it('refuses IP literals in every spelling WHATWG URL normalises', async () => {
    for (const u of [
      'http://127.0.0.1/',
      'http://[::1]:8080/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/latest',
    ]) {
      expect((await checkWebhookUrl(u, false, resolveTo('8.8.8.8'))).ok, u).toBe(false);
    }
  });

  it('resolves names with the real resolver: localhost is refused', async () => {
    expect(await checkWebhookUrl('http://localhost:9/x', false, dnsResolver)).toEqual({ ok: false, reason: 'private_address' });
  });

  it('refuses unresolvable hosts and non-http schemes', async () => {
    const fail = async () => {
      throw new Error('ENOTFOUND');
    };
    expect(await checkWebhookUrl('https://nope.invalid/', false, fail)).toEqual({ ok: false, reason: 'unresolvable' });
    expect(await checkWebhookUrl('ftp://example.com/', false, dnsResolver)).toEqual({ ok: false, reason: 'invalid_url' });
    expect(await checkWebhookUrl('file:///etc/passwd', true, dnsResolver)).toEqual({ ok: false, reason: 'invalid_url' });
    expect(await checkWebhookUrl('not a url', true, dnsResolver)).toEqual({ ok: false, reason: 'invalid_url' });
  });

  it('allows private targets when the operator says so', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:3000/hook', true, dnsResolver)).toEqual({ ok: true });
  });
});
