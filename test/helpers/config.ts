import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';

export const TEST_HOST_ID = 'test-host';

/**
 * The one config for tests that build deps in-process: loadConfig over the env a test names (the same
 * variables an operator sets), then any typed overrides. Defaults: a fixed host id, private webhook targets
 * allowed (receivers listen on loopback), a fresh secret key per config (deps that must open each other's
 * secrets share one config or name BERTH_SECRET_KEY), and a data folder that does not exist, so nothing
 * is written outside the test's own database.
 */
export function testConfig(env: Record<string, string> = {}, over: Partial<Config> = {}): Config {
  const base = loadConfig(
    {
      BERTH_HOST_ID: TEST_HOST_ID,
      BERTH_OSSFS_MOUNT_ROOT: '/mnt/berth-test',
      BERTH_WEBHOOK_ALLOW_PRIVATE: '1',
      BERTH_SECRET_KEY: randomBytes(32).toString('hex'),
      BERTH_DATA_DIR: '/nonexistent-berth-test',
      ...env,
    },
    TEST_HOST_ID,
  );
  return { ...base, ...over };
}
