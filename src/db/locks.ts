/**
 * Every advisory-lock key berth takes, in one place, so no two features ever pick the same number.
 * Any constant works; it only has to be the same for every berth process sharing the database.
 * The two-int form (namespace, hashtext(key)) never collides with the single-bigint keys.
 * SQL that takes one of these (migrations/0006_mount_ledger_join.sql) spells the number out; the unit test
 * test/unit/db-locks.test.ts reads the migration and fails if the two ever differ.
 */
export const LOCK_KEYS = {
  /** session lock held while migrations run ('bert') */
  migration: 0x62657274,
  /** transaction lock making event seq order equal commit order ('evnt') */
  eventAppend: 0x65766e74,
  /** namespace of the per-mount-identity locks of the ledger ('mnt' = 7171700) */
  mountIdentityNamespace: 0x6d6e74,
} as const;
