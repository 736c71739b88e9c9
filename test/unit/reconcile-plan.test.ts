import { describe, expect, it } from 'vitest';
import { planReconcile, type RowView } from '../../src/domain/reconcile/plan.js';
import { LABELS, type ContainerState } from '../../src/domain/ports.js';

const container = (id: string, sandboxId: string | null, s: Partial<ContainerState> = {}): ContainerState => ({
  containerId: id,
  status: 'running',
  running: true,
  paused: false,
  exitCode: null,
  finishedAt: null,
  labels: sandboxId ? { [LABELS.sandboxId]: sandboxId } : {},
  ports: {},
  pid: 1,
  ipAddress: '172.17.0.2',
  ...s,
});
const row = (id: string, state: RowView['state'], containerId: string | null, extra: Partial<RowView> = {}): RowView => ({
  id,
  state,
  containerId,
  deleted: false,
  ...extra,
});

describe('planReconcile', () => {
  it('does nothing when rows and containers agree', () => {
    expect(
      planReconcile(
        [row('s1', 'Running', 'c1'), row('s2', 'Paused', 'c2')],
        [container('c1', 's1'), container('c2', 's2', { paused: true, status: 'paused' })],
      ),
    ).toEqual([]);
  });
  it('removes a container whose sandbox has no row or a deleted row', () => {
    const plan = planReconcile([row('s2', 'Terminated', 'c2', { deleted: true })], [container('c1', 's1'), container('c2', 's2')]);
    expect(plan).toEqual([
      { kind: 'remove-orphan', containerId: 'c1', sandboxId: 's1' },
      { kind: 'remove-orphan', containerId: 'c2', sandboxId: 's2' },
    ]);
  });
  it('records a container that exited on its own, with its exit code', () => {
    expect(planReconcile([row('s1', 'Running', 'c1')], [container('c1', 's1', { running: false, status: 'exited', exitCode: 2 })])).toEqual([
      { kind: 'exited', sandboxId: 's1', containerId: 'c1', exitCode: 2 },
    ]);
  });
  it("records a container removed behind berth's back", () => {
    expect(planReconcile([row('s1', 'Running', 'c1')], [])).toEqual([{ kind: 'removed', sandboxId: 's1', containerId: 'c1' }]);
  });
  it('follows Docker when a container was paused or unpaused outside berth, or a pause was interrupted', () => {
    expect(planReconcile([row('s1', 'Running', 'c1')], [container('c1', 's1', { paused: true })])).toEqual([
      { kind: 'sync-state', sandboxId: 's1', from: 'Running', to: 'Paused' },
    ]);
    expect(planReconcile([row('s1', 'Pausing', 'c1')], [container('c1', 's1')])).toEqual([
      { kind: 'sync-state', sandboxId: 's1', from: 'Pausing', to: 'Running' },
    ]);
  });
  it('leaves in-flight work alone: Pending, Stopping and a pause still talking to Docker', () => {
    expect(
      planReconcile(
        [row('s1', 'Pending', null), row('s2', 'Stopping', 'c2'), row('s3', 'Pausing', 'c3', { inFlight: true })],
        [container('c1', 's1'), container('c3', 's3')],
      ),
    ).toEqual([]);
  });
  it('does not re-report a finished sandbox', () => {
    expect(planReconcile([row('s1', 'Failed', 'c1')], [container('c1', 's1', { running: false, status: 'exited', exitCode: 1 })])).toEqual([]);
  });
});
