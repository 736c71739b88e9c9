import { spawn } from 'node:child_process';

export type CommandResult = { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean };

const MAX_OUTPUT = 64 * 1024;

/**
 * The environment mount tools get: the basics plus OSSFS_* / OSS_* (tool settings), never the server's own
 * (its secret key, database URL, API key). A FUSE daemon outlives berth and keeps its environment in
 * /proc/<pid>/environ, so nothing of berth's should be in it.
 */
export function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'].includes(k) || k.startsWith('LC_') || k.startsWith('OSSFS_') || k.startsWith('OSS_')) out[k] = v;
  }
  out.PATH ??= '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
  return out;
}

/**
 * Spawn with an argument array, never a shell (DESIGN.md invariant 8). Resolves on exit rather than on
 * stream close: a FUSE tool that daemonizes may leave a child holding our pipes, and waiting for their end
 * would wait for the unmount. Output is capped; a timeout kills the command.
 */
export function runCommand(bin: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? toolEnv(), shell: false });
    const take = (cur: string, chunk: Buffer) => (cur.length < MAX_OUTPUT ? cur + chunk.toString('utf8').slice(0, MAX_OUTPUT - cur.length) : cur);
    child.stdout.on('data', (c: Buffer) => (stdout = take(stdout, c)));
    child.stderr.on('data', (c: Buffer) => (stderr = take(stderr, c)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const finish = (code: number | null, signal: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Give the pipes a moment to deliver what was written before exit, then stop listening.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal, stdout, stderr, timedOut });
      }, 20);
    };
    child.on('error', (err) => {
      stderr += String(err.message);
      finish(null, null);
    });
    child.on('exit', (code, signal) => finish(code, signal));
  });
}
