import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { PoolRow } from '../../src/db/schema/index.js';
import { fitToPool } from '../../src/domain/pools/fit.js';
import { staleReason } from '../../src/domain/pools/sweep-slots.js';
import { validateCreate, type CreateSandboxInput } from '../../src/domain/sandbox/validate-create.js';

// Which creates an idle slot may answer, and what docker update makes of it; when the filler drops an idle slot.

const config = loadConfig({ BERTH_API_KEY: 'k', BERTH_PIDS_LIMIT: '512' }, 'h');
const at = new Date('2030-01-01T00:00:00Z');
const pool: PoolRow = {
  name: 'p',
  image: 'berth-base:latest',
  entrypoint: ['tail', '-f', '/dev/null'],
  env: { A: '1' },
  resourceLimits: { cpu: '1', memory: '256Mi' },
  platform: null,
  idleTarget: 2,
  maxSandboxes: null,
  maxIdleSeconds: 600,
  generation: 3,
  createdAt: at,
  updatedAt: at,
};
const request = (over: Partial<CreateSandboxInput> = {}) =>
  validateCreate({ image: { uri: pool.image }, entrypoint: pool.entrypoint, env: pool.env, resourceLimits: pool.resourceLimits, ...over }, config);

describe('fitToPool', () => {
  it('answers an equal request with no update, and turns other cpu, memory and pids limits into one', () => {
    expect(fitToPool(pool, request(), config)).toEqual({ update: {} });
    expect(fitToPool(pool, request({ env: { A: '1', B: null } }), config)).toEqual({ update: {} }); // nulls are dropped first
    expect(fitToPool(pool, request({ resourceLimits: { cpu: '250m', memory: '1Gi', pids: '64' } }), config)).toEqual({
      update: { nanoCpus: 2.5e8, memoryBytes: 2 ** 30, pidsLimit: 64 },
    });
    // an unparseable value is ignored by a cold create too, so it changes nothing here
    expect(fitToPool(pool, request({ resourceLimits: { cpu: '1', memory: '256Mi', disk: 'lots' } }), config)).toEqual({ update: {} });
  });

  it.each([
    ['another image', { image: { uri: 'busybox:latest' } }],
    ['another entrypoint', { entrypoint: ['sleep', 'infinity'] }],
    ['env the template lacks', { env: { A: '1', B: '2' } }],
    ['env with another value', { env: { A: '2' } }],
    ['less env than the template', { env: {} }],
    ['a platform the template does not name', { platform: { os: 'linux', arch: 'amd64' } }],
    ['a gpu', { resourceLimits: { cpu: '1', memory: '256Mi', gpu: '1' } }],
    ['a dropped memory limit', { resourceLimits: { cpu: '1' } }],
    ['volumes', { volumes: [{ name: 'v', host: { path: '/tmp' }, mountPath: '/data' }] as never }],
  ])('makes %s a cold create', (_label, over) => {
    expect(fitToPool(pool, request(over as Partial<CreateSandboxInput>), config)).toBeNull();
  });
});

describe('staleReason', () => {
  const slot = { generation: 3, readyAt: at } as never;
  const running = { running: true, paused: false } as never;
  const now = new Date(at.getTime() + 1000);
  it('keeps a current, running, young slot and names why any other goes', () => {
    expect(staleReason(slot, pool, running, now)).toBeNull();
    expect(staleReason(slot, undefined, running, now)).toBe('pool_deleted');
    expect(staleReason(slot, { ...pool, generation: 4 }, running, now)).toBe('template_changed');
    expect(staleReason(slot, pool, running, new Date(at.getTime() + 600_000))).toBe('aged_out');
    expect(staleReason(slot, { ...pool, maxIdleSeconds: null }, running, new Date(at.getTime() + 600_000))).toBeNull();
    expect(staleReason(slot, pool, undefined, now)).toBe('container_gone');
    expect(staleReason(slot, pool, { running: false, paused: false } as never, now)).toBe('container_dead');
    expect(staleReason(slot, pool, { running: true, paused: true } as never, now)).toBe('container_paused');
  });
});
