import { sql } from 'drizzle-orm';
import type { Deps } from './deps.js';
import { DomainError } from './errors.js';

/** How long each check may take: a load balancer probes often, and a hung dependency counts as down. */
export const READINESS_TIMEOUT_MS = 1500;

export type Readiness = { status: 'ready'; database: 'ok'; engine: 'ok' };

/**
 * Whether this process can serve requests now: the database answers `select 1` and the Docker engine
 * answers a ping, each within READINESS_TIMEOUT_MS, checked at once. Unlike /health (liveness), this goes
 * 503 during an outage so a load balancer or supervisor sends traffic elsewhere until it recovers.
 * Throws 503 DATABASE::UNAVAILABLE (the database is down, whatever the engine) or DOCKER::ENGINE_UNREACHABLE,
 * with a message naming everything that is down.
 */
export async function checkReadiness(deps: Pick<Deps, 'db' | 'runtime'>, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  const [database, engine] = await Promise.all([answers(() => deps.db.execute(sql`select 1`), timeoutMs), answers(() => deps.runtime.ping(), timeoutMs)]);
  if (database && engine) return { status: 'ready', database: 'ok', engine: 'ok' };
  const down = [!database && 'the database', !engine && 'the Docker engine'].filter(Boolean).join(' and ');
  const message = `Not ready: ${down} ${database || engine ? 'is' : 'are'} not reachable.`;
  throw database ? new DomainError('unavailable', 'DOCKER::ENGINE_UNREACHABLE', message) : new DomainError('unavailable', 'DATABASE::UNAVAILABLE', message);
}

async function answers(check: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([check().then(() => true as const), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
