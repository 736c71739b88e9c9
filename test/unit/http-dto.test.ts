import { describe, expect, it } from 'vitest';
import type { SandboxRow } from '../../src/db/schema/sandboxes.js';
import { DomainError } from '../../src/domain/errors.js';
import { assertEndpointOptions, parsePort, toCreateResponse, toListResponse, toSandbox } from '../../src/http/routes/sandboxes.dto.js';

const at = new Date('2030-01-01T00:00:00.000Z');
const row = (over: Partial<SandboxRow> = {}): SandboxRow => ({
  id: 'sbx-1',
  state: 'Running',
  reason: 'CONTAINER_RUNNING',
  message: 'Sandbox container started successfully.',
  lastTransitionAt: at,
  image: 'busybox:latest',
  snapshotId: null,
  entrypoint: ['sleep', '1'],
  env: { SECRET: 'do-not-echo' },
  resourceLimits: { cpu: '1' },
  metadata: {},
  extensions: {},
  platform: null,
  timeoutSeconds: null,
  createdAt: at,
  expiresAt: null,
  deletedAt: null,
  containerId: 'c1',
  containerName: 'sandbox-sbx-1',
  hostId: 'h',
  ports: {},
  leaseOwner: null,
  leaseUntil: null,
  exitCode: null,
  poolName: null,
  updatedAt: at,
  ...over,
});

describe('sandbox DTOs', () => {
  it('omit absent fields instead of sending null', () => {
    expect(toCreateResponse(row({ reason: null, message: null }))).toEqual({
      id: 'sbx-1',
      status: { state: 'Running', lastTransitionAt: '2030-01-01T00:00:00.000Z' },
      createdAt: '2030-01-01T00:00:00.000Z',
      entrypoint: ['sleep', '1'],
    });
  });

  it('include expiresAt, metadata, platform and extensions when there are some', () => {
    const r = toCreateResponse(
      row({ expiresAt: new Date('2030-01-01T00:10:00Z'), metadata: { a: 'b' }, platform: { os: 'linux', arch: 'amd64' }, extensions: { x: 'y' } }),
    );
    expect(r).toMatchObject({ expiresAt: '2030-01-01T00:10:00.000Z', metadata: { a: 'b' }, platform: { os: 'linux', arch: 'amd64' }, extensions: { x: 'y' } });
  });

  it('a Sandbox adds the image uri and never env, limits or internals', () => {
    const s = toSandbox(row());
    expect(s.image).toEqual({ uri: 'busybox:latest' });
    const text = JSON.stringify(s);
    for (const hidden of ['do-not-echo', 'resourceLimits', 'containerId', 'hostId', 'leaseOwner', 'ports']) expect(text).not.toContain(hidden);
  });

  it.each([
    [0, 20, 1, { totalPages: 0, hasNextPage: false }],
    [5, 2, 1, { totalPages: 3, hasNextPage: true }],
    [5, 2, 3, { totalPages: 3, hasNextPage: false }],
    [4, 2, 2, { totalPages: 2, hasNextPage: false }],
    [5, 2, 9, { totalPages: 3, hasNextPage: false }],
    [201, 200, 1, { totalPages: 2, hasNextPage: true }],
  ])('pagination of %i items, pageSize %i, page %i', (totalItems, pageSize, page, expected) => {
    expect(toListResponse({ items: [], totalItems }, { page, pageSize }).pagination).toEqual({ page, pageSize, totalItems, ...expected });
  });

  it('parsePort keeps digits only (the verb answers DOCKER::INVALID_PORT for NaN)', () => {
    expect(parsePort('8080')).toBe(8080);
    for (const bad of ['', 'abc', '-1', '1.5', '1e3', ' 80', '123456']) expect(parsePort(bad), bad).toBeNaN();
  });

  it('expires is refused as upstream does on Docker', () => {
    expect(() => assertEndpointOptions({})).not.toThrow();
    expect(() => assertEndpointOptions({ use_server_proxy: true })).not.toThrow();
    const err = (q: Parameters<typeof assertEndpointOptions>[0]) => {
      try {
        assertEndpointOptions(q);
      } catch (e) {
        return (e as DomainError).code;
      }
      return null;
    };
    expect(err({ expires: '1' })).toBe('SANDBOX::API_NOT_SUPPORTED');
    expect(err({ expires: '1', use_server_proxy: true })).toBe('SANDBOX::INVALID_PARAMETER');
  });
});
