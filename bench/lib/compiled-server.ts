import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_API_KEY } from '../../test/helpers/keys.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * berth's compiled server as scripts/up.sh runs it (`node dist/main.js`, after `npm run build`), on a
 * random port. `readyMs` is the time from spawn to the first 200 from /health: the first-start figure.
 */
export type CompiledServer = {
  url: string;
  instanceId: string;
  child: ChildProcess;
  lines: string[];
  readyMs: number;
  api: (path: string, init?: RequestInit) => Promise<Response>;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
};

export type CompiledServerOptions = { env: Record<string, string>; nodeFlags?: string[] };

export async function startCompiledServer({ env, nodeFlags = [] }: CompiledServerOptions): Promise<CompiledServer> {
  const fullEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    BERTH_HOST: '127.0.0.1',
    BERTH_PORT: '0',
    BERTH_API_KEY: TEST_API_KEY,
    BERTH_LOG_LEVEL: 'info',
    ...env,
  };
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, 'dist/main.js'], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const { port, instanceId } = await new Promise<{ port: number; instanceId: string }>((resolve, reject) => {
    const pending = { out: '', err: '' };
    const onData = (key: 'out' | 'err') => (buf: Buffer) => {
      pending[key] += buf.toString('utf8');
      let nl: number;
      while ((nl = pending[key].indexOf('\n')) >= 0) {
        const line = pending[key].slice(0, nl);
        pending[key] = pending[key].slice(nl + 1);
        lines.push(line);
        if (line.includes('"berth listening"')) resolve(JSON.parse(line) as { port: number; instanceId: string });
      }
    };
    child.stdout!.on('data', onData('out'));
    child.stderr!.on('data', onData('err'));
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${lines.slice(-20).join('\n')}`)));
    setTimeout(() => reject(new Error(`server did not listen in 120 s:\n${lines.slice(-20).join('\n')}`)), 120_000).unref();
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = performance.now() - t0;
  const headers = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'content-type': 'application/json' };
  return {
    url,
    instanceId,
    child,
    lines,
    readyMs,
    api: (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } }),
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
