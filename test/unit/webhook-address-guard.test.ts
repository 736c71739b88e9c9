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
