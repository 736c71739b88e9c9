import type { Deps } from '../deps.js';

/** What the volume and mount-ledger verbs use: the usual deps, the host mounter and the mount secrets among them. */
export type MountDeps = Pick<Deps, 'db' | 'runtime' | 'clock' | 'ids' | 'log' | 'config' | 'instanceId' | 'processId' | 'mounter' | 'secrets'>;
