import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, sign, signedHeaders } from '../../src/domain/webhooks/signature.js';

// The verifier is the npm `standardwebhooks` library (the spec authors' own), not code from this project.
const body = JSON.stringify({ type: 'sandbox.created', timestamp: '2026-11-28T10:00:00.000Z', data: { id: 'evt_1', seq: 1 } });
const nowSec = () => Math.floor(Date.now() / 1000);

describe('Standard Webhooks signatures', () => {
  it('secrets are whsec_ + base64 of 32 random bytes', () => {
    const s = generateSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(s);
  });

  it('a signed delivery verifies with the standardwebhooks library', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'evt_abc', nowSec(), body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('matches the library own signer byte for byte', () => {
    const secret = generateSecret();
    const ts = new Date('2026-11-28T10:00:00Z');
    expect(sign(secret, 'evt_x', ts.getTime() / 1000, body)).toBe(new Webhook(secret).sign('evt_x', ts, body));
  });

  it('rejects a tampered body', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'evt_abc', nowSec(), body);
    const tampered = body.replace('sandbox.created', 'sandbox.deleted');
    expect(() => new Webhook(secret).verify(tampered, { ...headers })).toThrow(/signature/i);
  });

  it('rejects a changed webhook-id (the id is part of the signed content)', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'evt_abc', nowSec(), body);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt_other' })).toThrow(/signature/i);
  });

  it('rejects a stale timestamp even with a valid signature', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'evt_abc', nowSec() - 10 * 60, body);
    expect(() => new Webhook(secret).verify(body, { ...headers })).toThrow(/too old/i);
  });

  it('rejects a signature made with another secret', () => {
    const headers = signedHeaders([generateSecret()], 'evt_abc', nowSec(), body);
    expect(() => new Webhook(generateSecret()).verify(body, { ...headers })).toThrow(/signature/i);
  });

  it('during a rotation both the new and the old secret verify', () => {
    const fresh = generateSecret();
    const old = generateSecret();
    const headers = signedHeaders([fresh, old], 'evt_abc', nowSec(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(fresh).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(old).verify(body, { ...headers })).not.toThrow();
  });
});
