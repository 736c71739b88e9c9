import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Before the embedded Postgres starts: is a postmaster of this cluster still alive? One that berth started
 * gets SIGINT from the kernel when berth dies (setpriv --pdeathsig), so a live one is either the database of
 * another live berth process on the same folder (its parent is a node process: refuse, two servers must not
 * share one embedded cluster's folder; point them at one Postgres with DATABASE_URL instead), or an orphan
 * finishing that shutdown (wait for it) or left without one (stop it: fast shutdown, then immediate).
 */
export async function stalePostmaster(pgdata: string, postgresBin: string, timeoutMs: number): Promise<void> {
  const pid = postmasterPid(pgdata, postgresBin);
  if (pid === undefined) return;
  const parent = parentOf(pid);
  if (parent !== undefined && exeOf(parent) === exeOf(process.pid)) {
    throw new Error(`the embedded Postgres in ${pgdata} belongs to another running berth process (pid ${parent}); stop it first`);
  }
  if (await exited(pid, timeoutMs)) return;
  process.kill(pid, 'SIGINT');
  if (await exited(pid, timeoutMs)) return;
  process.kill(pid, 'SIGQUIT');
  if (!(await exited(pid, timeoutMs))) throw new Error(`an orphaned embedded Postgres (pid ${pid}) in ${pgdata} does not stop`);
}

/** The pid in postmaster.pid, if that process is alive and is this cluster's postgres binary (not a reused pid). */
function postmasterPid(pgdata: string, postgresBin: string): number | undefined {
  const file = join(pgdata, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const exe = exeOf(pid);
  return exe !== undefined && exe === realpathSync(postgresBin) ? pid : undefined;
}

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    if (!existsSync(`/proc/${pid}`) || isZombie(pid)) return true;
  }
  return false;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
