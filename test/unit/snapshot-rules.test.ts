import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { validateCreate } from '../../src/domain/sandbox/validate-create.js';
import { assertCanSnapshot, assertDeletable, canonicalStates, restoreImage, snapshotImageRef } from '../../src/domain/snapshots/rules.js';

function failure(fn: () => unknown): { kind: string; code: string } | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (isDomainError(e)) return { kind: e.kind, code: e.code };
    throw e;
  }
}

describe('snapshot source and delete rules', () => {
  it('snapshots Running and Paused sandboxes only', () => {
    expect(failure(() => assertCanSnapshot('s', 'Running'))).toBeNull();
    expect(failure(() => assertCanSnapshot('s', 'Paused'))).toBeNull();
    for (const state of ['Pending', 'Pausing', 'Resuming', 'Stopping', 'Terminated', 'Failed'])
      expect(failure(() => assertCanSnapshot('s', state))).toEqual({ kind: 'conflict', code: 'SNAPSHOT::INVALID_SOURCE_STATE' });
  });
  it('refuses to delete a snapshot that is Creating or already Deleting', () => {
    for (const state of ['Creating', 'Deleting'])
      expect(failure(() => assertDeletable({ id: 'x', state }))).toEqual({ kind: 'conflict', code: 'SNAPSHOT::INVALID_STATE' });
    for (const state of ['Ready', 'Failed']) expect(failure(() => assertDeletable({ id: 'x', state }))).toBeNull();
  });
  it('restores only from a Ready snapshot', () => {
    expect(failure(() => restoreImage('x', null))).toEqual({ kind: 'not_found', code: 'SNAPSHOT::NOT_FOUND' });
    for (const state of ['Creating', 'Failed', 'Deleting'])
      expect(failure(() => restoreImage('x', { state, imageRef: 'r' }))).toEqual({ kind: 'conflict', code: 'SNAPSHOT::NOT_READY' });
    expect(restoreImage('x', { state: 'Ready', imageRef: snapshotImageRef('snap_1') })).toBe('berth-snapshot:snap_1');
  });
  it('filters states case-insensitively; unknown names match nothing', () => {
    expect(canonicalStates(['ready', 'FAILED', 'bogus'])).toEqual(['Ready', 'Failed']);
    expect(canonicalStates(['bogus'])).toEqual([]);
  });
});

describe('create from a snapshot: validation order and defaults', () => {
  const cfg = { maxTimeoutSeconds: 3600 };
  const ready = { state: 'Ready', imageRef: 'berth-snapshot:snap_1' };
  const code = (fn: () => unknown) => failure(fn)?.code;

  it('wants exactly one of image and snapshotId (the request model, before everything else)', () => {
    expect(code(() => validateCreate({ resourceLimits: {}, image: { uri: 'busybox' }, snapshotId: 'snap_1', extensions: { poolRef: 'p' } }, cfg, ready))).toBe(
      'SANDBOX::INVALID_PARAMETER',
    );
    expect(code(() => validateCreate({ resourceLimits: {}, entrypoint: ['x'] }, cfg))).toBe('SANDBOX::INVALID_PARAMETER');
  });
  // (extensions.poolRef with a snapshotId is refused before validateCreate, by domain/pools/for-create.ts)
  it('checks the snapshot before the entrypoint, metadata and timeout', () => {
    expect(code(() => validateCreate({ resourceLimits: {}, snapshotId: 'snap_1', entrypoint: [''], timeout: 99999 }, cfg, null))).toBe('SNAPSHOT::NOT_FOUND');
    expect(code(() => validateCreate({ resourceLimits: {}, snapshotId: 'snap_1', entrypoint: [''] }, cfg, { ...ready, state: 'Creating' }))).toBe(
      'SNAPSHOT::NOT_READY',
    );
    expect(code(() => validateCreate({ resourceLimits: {}, snapshotId: 'snap_1', entrypoint: [''] }, cfg, ready))).toBe('DOCKER::INVALID_ENTRYPOINT');
    expect(code(() => validateCreate({ resourceLimits: {}, snapshotId: 'snap_1', timeout: 7200 }, cfg, ready))).toBe('SANDBOX::INVALID_PARAMETER');
  });
  it('runs the snapshot image with tail -f /dev/null unless an entrypoint is given', () => {
    const v = validateCreate({ resourceLimits: {}, snapshotId: 'snap_1' }, cfg, ready);
    expect(v).toMatchObject({ image: 'berth-snapshot:snap_1', snapshotId: 'snap_1', entrypoint: ['tail', '-f', '/dev/null'] });
    expect(validateCreate({ resourceLimits: {}, snapshotId: 'snap_1', entrypoint: ['sh', '-c', 'x'] }, cfg, ready).entrypoint).toEqual(['sh', '-c', 'x']);
  });
  it('leaves the image path as it was (no snapshotId, image uri checked)', () => {
    const v = validateCreate({ resourceLimits: {}, image: { uri: 'busybox:latest' }, entrypoint: ['x'] }, cfg);
    expect(v).toMatchObject({ image: 'busybox:latest', snapshotId: null });
    expect(code(() => validateCreate({ resourceLimits: {}, image: { uri: 'Not A Ref' }, entrypoint: ['x'] }, cfg))).toBe('SANDBOX::INVALID_PARAMETER');
  });
});
