import { describe, expect, it } from 'vitest';
import { leaseIsDead, newToken } from '../../src/domain/lease.js';
import { clip, scrubSecrets } from '../../src/domain/volumes/scrub.js';
import { processIdFor, testConfig } from '../fixtures/mount-deps.js';

describe('scrubSecrets', () => {
  it('removes every occurrence of every secret, longest first', () => {
    const out = scrubSecrets('auth failed for AKID with SK123 (SK123456) at bucket', ['AKID', 'SK123', 'SK123456']);
    expect(out).toBe('auth failed for *** with *** (***) at bucket');
  });

  it('removes secret-looking key=value pairs a tool may echo', () => {
    expect(scrubSecrets('bad line --oss_access_key_secret=abc def password: hunter2', [])).toBe('bad line --oss_access_key_secret=*** def password: ***');
  });

  it('ignores empty secrets and clips long output to one line', () => {
    expect(scrubSecrets('x', [''])).toBe('x');
    expect(clip('a\n  b\tc')).toBe('a b c');
    expect(clip('x'.repeat(5000)).length).toBe(2003);
  });
});

describe('mount leases', () => {
  const config = testConfig();
  const me = processIdFor(true);
  const deps = { clock: { now: () => new Date('2030-01-01T00:00:00Z') }, config, processId: me };
  const future = new Date('2030-01-01T00:01:00Z');

  it('a lease in the future held by a live process is alive; an expired one is dead', () => {
    expect(leaseIsDead(deps, { leaseOwner: newToken(me), leaseUntil: future })).toBe(false);
    expect(leaseIsDead(deps, { leaseOwner: newToken(me), leaseUntil: new Date('2029-12-31T23:59:59Z') })).toBe(true);
    expect(leaseIsDead(deps, { leaseOwner: null, leaseUntil: null })).toBe(true);
  });

  it('a same-host owner whose pid is gone is dead at once (a crash is taken over without waiting)', () => {
    expect(leaseIsDead(deps, { leaseOwner: newToken(processIdFor(false)), leaseUntil: future })).toBe(true);
  });

  it('an earlier incarnation with our pid is dead; another host is trusted until its lease ends', () => {
    expect(leaseIsDead(deps, { leaseOwner: newToken(processIdFor(true)), leaseUntil: future })).toBe(true);
    expect(leaseIsDead(deps, { leaseOwner: newToken(processIdFor(false, 'other-host')), leaseUntil: future })).toBe(false);
  });
});

describe('mount leases across pid namespaces', () => {
  const config = testConfig();
  const future = new Date('2030-01-01T00:01:00Z');
  const deps = { clock: { now: () => new Date('2030-01-01T00:00:00Z') }, config, processId: `${config.hostId}:${process.pid}:4026531836-aaaa` };

  it('an owner with our pid in another pid namespace (another container on this host) keeps its lease', () => {
    expect(leaseIsDead(deps, { leaseOwner: newToken(`${config.hostId}:${process.pid}:4026532999-bbbb`), leaseUntil: future })).toBe(false);
  });
  it('an owner with our pid in our namespace is an earlier incarnation of this process: dead', () => {
    expect(leaseIsDead(deps, { leaseOwner: newToken(`${config.hostId}:${process.pid}:4026531836-cccc`), leaseUntil: future })).toBe(true);
  });
});
