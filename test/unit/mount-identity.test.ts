import { describe, expect, it } from 'vitest';
import { canonicalJson, createMountSecrets } from '../../src/adapters/crypto/mount-secrets.js';
import { credentialFingerprint, mountHostPath, mountIdentity } from '../../src/domain/volumes/ledger/identity.js';
import type { OssfsSpec } from '../../src/domain/volumes/mounter-port.js';

const secrets = createMountSecrets(Buffer.alloc(32, 1));
const spec: OssfsSpec = { version: '2.0', bucket: 'b', prefix: 'p', endpoint: 'https://e', options: ['allow_other'] };
const creds = { accessKeyId: 'AK', accessKeySecret: 'SK-secret' };
const key = (s: Partial<OssfsSpec> = {}, c = creds, host = 'h1', sec = secrets) => mountIdentity(sec, host, { ...spec, ...s }, c).identityKey;

describe('mount identity (invariant 3)', () => {
  it('is stable for the same identity', () => {
    expect(key()).toBe(key());
    expect(key()).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, Partial<OssfsSpec>]>([
    ['endpoint', { endpoint: 'https://other' }],
    ['bucket', { bucket: 'c' }],
    ['prefix', { prefix: 'p/q' }],
    ['version', { version: '1.0' }],
    ['options', { options: ['allow_other', 'ro'] }],
    ['option order', { options: [] }],
  ])('changes with the %s', (_l, change) => {
    expect(key(change)).not.toBe(key());
  });

  it('changes with either credential, and with the host', () => {
    expect(key({}, { ...creds, accessKeySecret: 'other' })).not.toBe(key());
    expect(key({}, { ...creds, accessKeyId: 'other' })).not.toBe(key());
    expect(key({}, creds, 'h2')).not.toBe(key());
  });

  it('is keyed: another server key gives another identity and fingerprint', () => {
    const other = createMountSecrets(Buffer.alloc(32, 2));
    expect(key({}, creds, 'h1', other)).not.toBe(key());
    expect(credentialFingerprint(other, creds)).not.toBe(credentialFingerprint(secrets, creds));
  });

  it('never contains the secret, and the fingerprint cannot be confused across fields', () => {
    const id = mountIdentity(secrets, 'h1', spec, creds);
    expect(JSON.stringify(id)).not.toContain('SK-secret');
    // 'a'+'bc' and 'ab'+'c' must not collide: the credentials are hashed as a structured value.
    expect(credentialFingerprint(secrets, { accessKeyId: 'a', accessKeySecret: 'bc' })).not.toBe(
      credentialFingerprint(secrets, { accessKeyId: 'ab', accessKeySecret: 'c' }),
    );
  });

  it('gives each generation its own path under the root', () => {
    expect(mountHostPath('/mnt/root/', 'mnt_1')).toBe('/mnt/root/mnt_1');
  });
});

describe('mount secrets', () => {
  it('seals and opens, and the blob reveals nothing', () => {
    const blob = secrets.seal(JSON.stringify(creds));
    expect(blob).not.toContain('SK-secret');
    expect(JSON.parse(secrets.open(blob))).toEqual(creds);
    expect(secrets.seal('x')).not.toBe(secrets.seal('x'));
  });

  it('refuses a blob sealed under another key or altered', () => {
    const blob = secrets.seal('hello');
    expect(() => createMountSecrets(Buffer.alloc(32, 9)).open(blob)).toThrow();
    const raw = Buffer.from(blob.slice(3), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => secrets.open(`v1:${raw.toString('base64')}`)).toThrow();
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});
