import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, snapshots, type SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { runtimeFailure } from '../errors.js';
import { knownError } from '../outage.js';
import { restoreImage } from '../snapshots/rules.js';
import { findSnapshot } from '../snapshots/read-snapshots.js';
import { appendEvent } from '../events/append.js';
import { createFromPool, namedPool } from '../pools/for-create.js';
import { withTx } from '../../db/tx.js';
import { sandboxContainerSpec } from './container-spec.js';
import { whileInFlight } from './in-flight.js';
import { discardFailedSandbox } from './teardown.js';
import { validateCreate, type CreateSandboxInput, type ValidCreate } from './validate-create.js';

/** How long a create or delete may hold its lease before the reconciler may take the work over. */
export const TRANSITION_LEASE_MS = 5 * 60_000;

/**
 * Synchronous create (upstream and the SDK expect 202 + Running). Intent -> side effects -> settle:
 * validation and the image pull touch nothing; tx1 inserts the Pending row and the volume references;
 * mounts and the container are made after that commit; tx2 settles Running. A failure after tx1 undoes
 * what was made and removes the row; a crash in between is the reconciler's (the row's lease expires).
 */
export async function createSandbox(deps: Deps, input: CreateSandboxInput, actor: string): Promise<SandboxRow> {
  const started = performance.now();
  try {
    const row = await provision(deps, input, actor);
    deps.metrics.observeCreate((performance.now() - started) / 1000, 'ok');
    return row;
  } catch (err) {
    deps.metrics.observeCreate((performance.now() - started) / 1000, 'error');
    throw err;
  }
}

async function provision(deps: Deps, request: CreateSandboxInput, actor: string): Promise<SandboxRow> {
  const { input, pool } = await namedPool(deps, request);
  const snapshot = input.snapshotId !== undefined ? await findSnapshot(deps, input.snapshotId) : undefined;
  const valid = validateCreate(input, deps.config, snapshot);
  // A warm pool answers before anything is made; whatever it cannot answer is the cold create below.
  const claimed = await createFromPool(deps, pool, valid, actor);
  if (claimed) return claimed;
  const id = deps.ids.sandbox();
  // From before the Pending row exists until it is settled or discarded: a row this process leased and
  // then left (an outage between the two commits) is the reaper's at once.
  return whileInFlight(deps, id, () => provisionNew(deps, id, valid, actor));
}

async function provisionNew(deps: Deps, id: string, valid: ValidCreate, actor: string): Promise<SandboxRow> {
  const plan = await deps.volumes.prepare(id, valid.volumes);
  // A snapshot's image is local to this engine; asking a registry for it would only leak its name.
  if (valid.snapshotId === null) await deps.runtime.ensureImage(valid.image, valid.auth);

  const createdAt = deps.clock.now();
  const row = await withTx(deps.db, async (tx) => {
    if (valid.snapshotId !== null) {
      // Under a share lock: a delete of the snapshot either sees this sandbox (DELETE_CONFLICT) or made the
      // snapshot Deleting before we got here (NOT_READY). Its image cannot vanish under the new container.
      const [s] = await tx.select().from(snapshots).where(eq(snapshots.id, valid.snapshotId)).for('share');
      restoreImage(valid.snapshotId, s ?? null);
    }
    const [inserted] = await tx
      .insert(sandboxes)
      .values({
        id,
        state: 'Pending',
        reason: 'provisioning',
        message: 'Sandbox is being provisioned.',
        lastTransitionAt: createdAt,
        image: valid.image,
        snapshotId: valid.snapshotId,
        entrypoint: valid.entrypoint,
        env: valid.env,
        resourceLimits: valid.resourceLimits,
        metadata: valid.metadata,
        extensions: valid.extensions,
        platform: valid.platform,
        timeoutSeconds: valid.timeoutSeconds,
        createdAt,
        expiresAt: valid.timeoutSeconds === null ? null : new Date(createdAt.getTime() + valid.timeoutSeconds * 1000),
        containerName: `sandbox-${id}`,
        hostId: deps.config.hostId,
        leaseOwner: deps.processId,
        leaseUntil: new Date(createdAt.getTime() + TRANSITION_LEASE_MS),
      })
      .returning();
    await deps.volumes.acquire(tx, id, plan);
    await appendEvent(tx, deps, {
      type: 'sandbox.created',
      sandboxId: id,
      toState: 'Pending',
      actor,
      data: valid.snapshotId === null ? { image: valid.image } : { snapshotId: valid.snapshotId },
    });
    return inserted!;
  });

  let containerId: string | null = null;
  try {
    const binds = await deps.volumes.materialize(id, plan);
    const { spec, ignoredLimits } = sandboxContainerSpec(row, { config: deps.config, instanceId: deps.instanceId, binds });
    if (ignoredLimits.length > 0) deps.log.warn({ sandboxId: id, ignored: ignoredLimits }, 'resource limits ignored (unparseable, as upstream)');
    const container = await deps.runtime.createAndStart(spec);
    containerId = container.containerId;
    const now = deps.clock.now();
    const settled = await withTx(deps.db, async (tx) => {
      const [r] = await tx
        .update(sandboxes)
        .set({
          state: 'Running',
          reason: 'CONTAINER_RUNNING',
          message: 'Sandbox container started successfully.',
          lastTransitionAt: now,
          containerId: container.containerId,
          ports: container.ports,
          leaseOwner: null,
          leaseUntil: null,
          updatedAt: now,
        })
        .where(and(eq(sandboxes.id, id), eq(sandboxes.state, 'Pending'), isNull(sandboxes.deletedAt)))
        .returning();
      if (r) await appendEvent(tx, deps, { type: 'sandbox.running', sandboxId: id, fromState: 'Pending', toState: 'Running', actor });
      return r;
    });
    if (!settled) throw runtimeFailure('DOCKER::SANDBOX_START_FAILED', `Sandbox ${id} was removed while it was being provisioned.`);
    return settled;
  } catch (err) {
    const known = knownError(err);
    const reason = known ? known.code : 'DOCKER::SANDBOX_START_FAILED';
    await discardFailedSandbox(deps, { id, containerId }, { reason, actor }).catch((cleanupErr) =>
      deps.log.error({ sandboxId: id, err: String(cleanupErr) }, 'cleanup after a failed create did not finish; the reaper will retry'),
    );
    if (known) throw known;
    deps.log.error({ sandboxId: id, err: String(err) }, 'sandbox create failed');
    throw runtimeFailure('DOCKER::SANDBOX_START_FAILED', 'Failed to start the sandbox container.');
  }
}
