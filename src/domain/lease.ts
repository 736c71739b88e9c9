import { randomBytes } from 'node:crypto';
import type { Deps } from './deps.js';

/**
 * A lease names the process doing a piece of work (a mount or unmount; a create or delete the reaper may
 * take over) and how long the others must wait. The owner token is
 * `<processId>#<nonce>`: the nonce tells two creates of one process apart (only the one that moved the
 * row to mounting runs the command), the processId (`host:pid:random`) lets a process on the same host
 * see at once that the owner died (crash tests, restarts) instead of waiting for the lease to run out.
 */
export function newToken(processId: string): string {
  return `${processId}#${randomBytes(6).toString('hex')}`;
}

/**
 * `host:pid:tail`, where main.ts starts the tail with the pid namespace (`<ns inode>-<random>`): two
 * berth containers on one host can both be pid 1, and a pid only means something inside its namespace.
 */
function parseProcessId(processId: string): { host: string; pid: number; ns: string | null } | null {
  const parts = processId.split(':');
  if (parts.length < 3) return null;
  const pid = Number(parts[parts.length - 2]);
  const ns = /^(\d+)-/.exec(parts[parts.length - 1]!)?.[1] ?? null;
  return Number.isInteger(pid) && pid > 0 ? { host: parts.slice(0, -2).join(':'), pid, ns } : null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type LeaseDeps = Pick<Deps, 'clock' | 'config' | 'processId'>;

/** True when nobody is working on the row any more: no owner, an expired lease, or an owner that is gone. */
export function leaseIsDead(deps: LeaseDeps, row: { leaseOwner: string | null; leaseUntil: Date | null }): boolean {
  if (!row.leaseOwner || !row.leaseUntil) return true;
  if (row.leaseUntil.getTime() <= deps.clock.now().getTime()) return true;
  const owner = row.leaseOwner.split('#')[0]!;
  if (owner === deps.processId) return false;
  const parsed = parseProcessId(owner);
  if (!parsed || parsed.host !== deps.config.hostId) return false;
  // Another pid namespace (another container on this host): its pids cannot be checked from here.
  const ours = parseProcessId(deps.processId);
  if (parsed.ns !== null && ours?.ns !== undefined && ours.ns !== null && parsed.ns !== ours.ns) return false;
  // Same host, another process: dead if its pid is gone, or if the pid is ours (an earlier incarnation).
  return parsed.pid === process.pid || !pidAlive(parsed.pid);
}

export function leaseUntil(deps: Pick<Deps, 'clock'>, ms: number): Date {
  return new Date(deps.clock.now().getTime() + ms);
}
