import { eq } from 'drizzle-orm';
import { poolSlots, type PoolSlotRow } from '../../src/db/schema/index.js';
import type { Deps } from '../../src/domain/deps.js';
import { TEST_IMAGE } from './app.js';

/** A pool template the engine starts in a few hundred ms (the test image, a process that waits). */
export const POOL_TEMPLATE = {
  image: { uri: TEST_IMAGE },
  entrypoint: ['tail', '-f', '/dev/null'],
  resourceLimits: { cpu: '1', memory: '256Mi' },
  env: { POOLED: 'yes' },
};

/** A create body that equals POOL_TEMPLATE (what implicit matching needs), with overrides. */
export function pooledCreate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...POOL_TEMPLATE, timeout: 600, metadata: {}, extensions: {}, ...overrides };
}

/** A lease owner on this host whose pid does not exist: what a crashed server leaves behind. */
export const DEAD_OWNER = 'test-host:4194000:0-dead#abc';

export async function slotsOf(deps: Pick<Deps, 'db'>, pool: string): Promise<PoolSlotRow[]> {
  return deps.db.select().from(poolSlots).where(eq(poolSlots.poolName, pool));
}

export const idle = (slots: PoolSlotRow[]) => slots.filter((s) => s.state === 'idle');
