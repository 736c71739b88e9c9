// The stored records the HTTP layer maps into wire DTOs. They are the database's row types; this file is
// the domain's word for them, so src/http depends on the domain and never on src/db.
export type { SandboxRow } from '../db/schema/sandboxes.js';
export type { SnapshotRow } from '../db/schema/snapshots.js';
