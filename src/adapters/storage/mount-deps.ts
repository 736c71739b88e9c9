import type { MountDeps } from '../../domain/volumes/mount-deps.js';
import { createMountSecrets } from '../crypto/mount-secrets.js';
import { loadServerKey } from '../crypto/secret-box.js';
import { createFuseMounter } from './fuse-mounter.js';

/**
 * For main.ts: the real mounter (ossfs/ossfs2 from config, mounts under config.ossfsMountRoot) and the
 * server-key helpers, added to the usual deps. Every process sharing a database must share the server
 * key (BERTH_SECRET_KEY, or one data dir), or it cannot remount another process's mounts after a crash.
 */
export function createMountDeps(base: Omit<MountDeps, 'mounter' | 'secrets'>): MountDeps {
  const { config, log } = base;
  return {
    ...base,
    mounter: createFuseMounter({ root: config.ossfsMountRoot, ossfsBin: config.ossfsBin, ossfs2Bin: config.ossfs2Bin, log }),
    secrets: createMountSecrets(loadServerKey(config)),
  };
}
