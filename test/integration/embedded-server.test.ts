import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/adapters/postgres/client.js';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import { waitUntil } from '../helpers/wait.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'berth-embedded-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The postmaster of the embedded cluster in dataDir, from its lock file. */
const postmasterPid = (dataDir: string) => Number(readFileSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
/** Alive and not a zombie (PID 1 here may be slow to reap an orphan that exited). */
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('the embedded default database: a Postgres child process in the data folder', () => {
  it('opens a real Postgres (not PGlite) when no URL is given, keeps its data across a restart, and stops its postmaster on close', async () => {
    const dataDir = freshDir();
    const h = await openDb({ dataDir });
    expect(h.kind).toBe('postgres');
    expect(h.pglite).toBeUndefined();
    await runMigrations(h);
    const pid = postmasterPid(dataDir);
    expect(alive(pid)).toBe(true);
    const [v] = await h.sql!<{ v: string }[]>`select current_setting('server_version_num') as v`;
    expect(Number(v!.v)).toBeGreaterThanOrEqual(150000);
    await h.sql!`create table keep_me (n int)`;
    await h.sql!`insert into keep_me values (42)`;
    // a unix socket only: no TCP port to clash with another process
    const [l] = await h.sql!<{ v: string }[]>`select current_setting('listen_addresses') as v`;
    expect(l!.v).toBe('');
    await h.close();
    expect(alive(pid)).toBe(false);
    // the password lives in the data folder, readable by the server's user only
    expect(statSync(join(dataDir, 'postgres-password')).mode & 0o077).toBe(0);

    const again = await openDb({ dataDir });
    try {
      expect(await again.sql!`select n from keep_me`).toEqual([{ n: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('runs the cluster as a non-root user when berth is root', async () => {
    if (process.getuid?.() !== 0) return;
    const dataDir = freshDir();
    const h = await openDb({ dataDir });
    try {
      const pid = postmasterPid(dataDir);
      expect(statSync(`/proc/${pid}`).uid).not.toBe(0);
      expect(statSync(join(dataDir, 'postgres', 'data')).uid).not.toBe(0);
    } finally {
      await h.close();
    }
  });

  it('a SIGKILL of the owning process takes the postmaster with it, and the next open of the folder works', async () => {
    const dataDir = freshDir();
    // the owner: a separate node process that opens the database, writes a row and says so
    const script = `import { openDb } from './src/adapters/postgres/client.ts';
      const h = await openDb({ dataDir: process.argv[1] });
      await h.sql\`create table survived (n int)\`; await h.sql\`insert into survived values (7)\`;
      console.log('ready'); setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dataDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      owner.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      owner.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
    });
    const pid = postmasterPid(dataDir);
    expect(alive(pid)).toBe(true);
    owner.kill('SIGKILL');
    await waitUntil('the orphaned postmaster to exit', async () => !alive(pid), 30_000, 50);

    const h = await openDb({ dataDir });
    try {
      expect(postmasterPid(dataDir)).not.toBe(pid);
      expect(await h.sql!`select n from survived`).toEqual([{ n: 7 }]);
    } finally {
      await h.close();
    }
  });

  it('refuses a folder whose cluster another live process is serving', async () => {
    const dataDir = freshDir();
    const first = await openDb({ dataDir });
    try {
      await expect(openDb({ dataDir })).rejects.toThrow(/belongs to another running berth process/);
    } finally {
      await first.close();
    }
  });

  it('a folder that already holds a PGlite cluster keeps PGlite (its data stays where it is)', async () => {
    const dataDir = freshDir();
    const old = await openDb({ dataDir, embedded: 'pglite' });
    expect(old.kind).toBe('pglite');
    await old.pglite!.query('create table old_rows (n int)');
    await old.close();
    const h = await openDb({ dataDir });
    try {
      expect(h.kind).toBe('pglite');
      expect((await h.pglite!.query('select count(*)::int as c from old_rows')).rows).toEqual([{ c: 0 }]);
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
    } finally {
      await h.close();
    }
  });
});
