import type { Deps } from '../deps.js';
import type { MountSecrets } from './mount-secrets-port.js';
import type { Mounter } from './mounter-port.js';

/**
 * What the volume and mount-ledger verbs use: the usual deps plus the host mounter and the server-key
 * helpers. main.ts builds it once: `{ ...deps, mounter: createFuseMounter(...), secrets: createMountSecrets(key) }`.
 */
export type MountDeps = Pick<Deps, 'db' | 'runtime' | 'clock' | 'ids' | 'log' | 'config' | 'instanceId' | 'processId'> & {
  mounter: Mounter;
  secrets: MountSecrets;
};
