import { conflict, notFound } from '../errors.js';
import { matchStates } from '../state-filter.js';

/** Spec state names (sandbox-lifecycle.yml SnapshotState). Deleting marks an image removal in flight. */
export const SNAPSHOT_STATES = ['Creating', 'Ready', 'Failed', 'Deleting'] as const;
export type SnapshotState = (typeof SNAPSHOT_STATES)[number];

/** The repository of every image berth commits; the tag is the snapshot id, so a crash can still find it. */
export const SNAPSHOT_REPO = 'berth-snapshot';
export const snapshotImageRef = (snapshotId: string) => `${SNAPSHOT_REPO}:${snapshotId}`;

/** What a snapshot restore runs when the request names no entrypoint (upstream's default, DESIGN.md upstream §2.1). */
export const RESTORE_ENTRYPOINT = ['tail', '-f', '/dev/null'];

/**
 * A paused container can be committed as it is (the engine's pause=true leaves it paused), so Paused is a
 * source too; anything in transition or finished has no container state worth capturing.
 */
export const CAN_SNAPSHOT: readonly string[] = ['Running', 'Paused'];

export function assertCanSnapshot(sandboxId: string, state: string): void {
  if (!CAN_SNAPSHOT.includes(state))
    throw conflict('SNAPSHOT::INVALID_SOURCE_STATE', `Sandbox ${sandboxId} is ${state}; a snapshot needs a Running or Paused sandbox.`);
}

/** Creating (the commit is running) and Deleting (the removal is) cannot be deleted again. */
export function assertDeletable(snapshot: { id: string; state: string }): void {
  if (snapshot.state === 'Creating' || snapshot.state === 'Deleting')
    throw conflict('SNAPSHOT::INVALID_STATE', `Snapshot ${snapshot.id} is ${snapshot.state} and cannot be deleted now.`);
}

export const snapshotNotFound = (id: string) => notFound('SNAPSHOT::NOT_FOUND', `Snapshot ${id} not found.`);

/** The restore source of a create: the snapshot must exist and be Ready. Returns the image to run. */
export function restoreImage(snapshotId: string, snapshot: { state: string; imageRef: string } | null): string {
  if (!snapshot) throw snapshotNotFound(snapshotId);
  if (snapshot.state !== 'Ready') throw conflict('SNAPSHOT::NOT_READY', `Snapshot ${snapshotId} is ${snapshot.state}, not Ready.`);
  return snapshot.imageRef;
}

/** Canonical state names for a case-insensitive filter; an unknown name matches nothing. */
export function canonicalStates(wanted: string[]): SnapshotState[] {
  return matchStates(wanted, SNAPSHOT_STATES);
}
