/**
 * A mounts row is one generation of a host mount (DESIGN.md, "The mount ledger"):
 *
 *   absent -> mounting -> mounted -> unmounting -> unmounted (kept as history)
 *                 \-> failed -^        ^-- only with zero references, decided under FOR UPDATE
 *
 * absent exists only inside the acquiring transaction. References may be added in absent, mounting,
 * mounted and failed (a joiner waits for the owner; a failed row is retried by the next acquirer), never
 * in unmounting: an acquirer that meets an unmounting generation starts a new one at a new path.
 */
export { LIVE_MOUNT_STATES as LIVE_STATES, MOUNT_STATES, type MountState } from '../../../db/schema/mounts.js';

/** A lease long enough for the 30 s mount command, the readiness wait and a slow database. */
export const MOUNT_LEASE_MS = 90_000;
/** The longest a create waits for a mount another request or process is making. */
export const MOUNT_WAIT_MS = 120_000;
/** A failed mount that sandboxes still reference is retried by the reconciler at most this often. */
export const FAILED_RETRY_MS = 30_000;
