import { eq } from 'drizzle-orm';
import { pools, type PoolRow, type SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { invalid } from '../errors.js';
import type { CreateSandboxInput, ValidCreate } from '../sandbox/validate-create.js';
import { claimFromPool } from './claim-slot.js';
import { poolNotFound } from './crud.js';
import { fitToPool } from './fit.js';

export const POOL_REF = 'poolRef';

/**
 * `extensions.poolRef` names a pool, as upstream's Kubernetes runtime reads it: the pool's template fills in
 * image, entrypoint, resourceLimits, env and platform where the request leaves them out. An unknown pool is a
 * 404 at once, never a wait. Without a poolRef the request goes on unchanged.
 */
export async function namedPool(deps: Pick<Deps, 'db'>, input: CreateSandboxInput): Promise<{ input: CreateSandboxInput; pool: PoolRow | null }> {
  const ref = input.extensions?.[POOL_REF];
  if (ref === undefined) return { input, pool: null };
  if (input.snapshotId !== undefined) throw invalid('SANDBOX::INVALID_PARAMETER', 'snapshotId must not be provided together with extensions.poolRef.');
  const [pool] = await deps.db.select().from(pools).where(eq(pools.name, ref));
  if (!pool) throw poolNotFound(ref);
  return {
    pool,
    input: {
      ...input,
      image: input.image ?? { uri: pool.image },
      entrypoint: input.entrypoint ?? pool.entrypoint,
      resourceLimits: input.resourceLimits ?? pool.resourceLimits,
      env: input.env ?? pool.env,
      platform: input.platform ?? pool.platform ?? undefined,
    },
  };
}

/**
 * Try to answer a validated create from a warm pool: the named one, or (BERTH_POOL_IMPLICIT_MATCH) every pool
 * whose template the request equals. Null means a cold create: no pool fits, none has an idle slot here, or
 * the claim failed on the way. Hits and misses are counted per pool.
 */
export async function createFromPool(deps: Deps, named: PoolRow | null, v: ValidCreate, actor: string): Promise<SandboxRow | null> {
  const candidates = named
    ? [named]
    : deps.config.poolImplicitMatch && v.snapshotId === null
      ? await deps.db
          .select()
          .from(pools)
          .where(eq(pools.image, v.image))
          .catch((err) => {
            deps.log.warn({ err: String(err) }, 'pool lookup failed; a cold create answers');
            return [];
          })
      : [];
  for (const pool of candidates) {
    const fit = fitToPool(pool, v, deps.config);
    if (!fit) {
      if (named) deps.metrics.poolClaim(pool.name, 'unfit');
      continue;
    }
    const row = await claimFromPool(deps, pool, v, fit.update, actor);
    deps.metrics.poolClaim(pool.name, row ? 'hit' : 'miss');
    if (row) return row;
  }
  return null;
}
