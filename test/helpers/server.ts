import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

const ROOT = new URL('../..', import.meta.url).pathname;
import { TEST_API_KEY } from './keys.js';
import { removeContainersLabelled } from './remove-containers.js';

export { TEST_API_KEY };

export type ServerProc = {
  url: string;
  port: number;
  instanceId: string;
  /** every line the server printed (stdout and stderr), for log assertions */
  lines: string[];
  child: ChildProcess;
  /** headers with the API key */
  headers: Record<string, string>;
  api: (path: string, init?: RequestInit) => Promise<Response>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
};

export type ServerOptions = {
  /** a Postgres URL; unset = embedded PGlite in dataDir */
  databaseUrl?: string;
  dataDir?: string;
  env?: Record<string, string>;
};

/**
 * Start the real server (`node --import tsx src/main.ts`, one process, so SIGKILL hits the server itself)
 * on a random port and wait for its "berth listening" line.
 */
export async function startServer(opts: ServerOptions = {}): Promise<ServerProc> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    BERTH_HOST: '127.0.0.1',
    BERTH_PORT: '0',
    BERTH_API_KEY: TEST_API_KEY,
    BERTH_DATA_DIR: dataDir,
    BERTH_REAPER_INTERVAL_MS: '250',
    BERTH_LOG_LEVEL: 'info',
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // A data folder we made ourselves goes with the process; one the caller passed outlives it (restarts).
  if (!opts.dataDir) child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const lines: string[] = [];
  let listening: ((v: { port: number; instanceId: string }) => void) | undefined;
  const ready = new Promise<{ port: number; instanceId: string }>((resolve, reject) => {
    listening = resolve;
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${lines.slice(-20).join('\n')}`)));
    setTimeout(() => reject(new Error(`server did not start in 60 s:\n${lines.slice(-20).join('\n')}`)), 60_000).unref();
  });
  const onData = (buf: Buffer, pending: { s: string }) => {
    pending.s += buf.toString('utf8');
    let nl: number;
    while ((nl = pending.s.indexOf('\n')) >= 0) {
      const line = pending.s.slice(0, nl);
      pending.s = pending.s.slice(nl + 1);
      lines.push(line);
      if (process.env.BERTH_E2E_ECHO) console.log(line);
      if (line.includes('"berth listening"')) {
        try {
          const j = JSON.parse(line);
          listening?.({ port: j.port, instanceId: j.instanceId });
        } catch {
          /* not JSON */
        }
      }
    }
  };
  const out = { s: '' };
  const err = { s: '' };
  child.stdout!.on('data', (b) => onData(b, out));
  child.stderr!.on('data', (b) => onData(b, err));
  const { port, instanceId } = await ready;
  const url = `http://127.0.0.1:${port}`;
  const headers = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'content-type': 'application/json' };
  return {
    url,
    port,
    instanceId,
    lines,
    child,
    headers,
    api: (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } }),
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Remove every container and volume a test deployment made (found by its instance label). */
export async function removeInstanceContainers(instanceId: string): Promise<void> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  await removeContainersLabelled(docker, `berth.instance=${instanceId}`);
  const vols = await docker.listVolumes({ filters: { label: [`berth.instance=${instanceId}`] } });
  await Promise.all(
    (vols.Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
}

export async function containersOf(instanceId: string) {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  return docker.listContainers({ all: true, filters: { label: [`berth.instance=${instanceId}`] } });
}
