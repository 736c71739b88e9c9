import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, deleteSandbox, recorded, waitFor } from '../fixtures/mount-e2e.js';
import { startMountServer } from '../fixtures/mount-server.js';
import { mountWorldWithServer } from '../fixtures/mount-world-with-server.js';

// ossfs credentials files live in berth's own 0700 folder (<data dir>/run/credentials), never in TMPDIR,
// and a crash between writing one and removing it is cleaned at the next boot, before anything mounts.
// A real server process is SIGKILLed while the ossfs 1.0 stand-in holds its mount command open (it has
// read nothing yet), then restarted on the same data folder, on Postgres and on the embedded PGlite.
const ctx = mountWorldWithServer();

const volume = (prefix: string) => ctx.w.volume(prefix, '1.0');

/** Every file under `dir` whose name or content holds `needle`. */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    if (e.name.includes('ossfs') || (await readFile(path, 'utf8').catch(() => '')).includes(needle)) hits.push(path);
  }
  return hits;
}

describe.each(['postgres', 'pglite'] as const)('credentials files across a SIGKILL (%s)', (kind) => {
  it('the file a killed process left is swept at the next boot, before the first mount; none ever lands in TMPDIR', async () => {
    const dataDir = join(ctx.w.work, `data-${kind}`);
    const tmp = join(ctx.w.work, `tmp-${kind}`);
    const credDir = join(dataDir, 'run', 'credentials');
    await mkdir(tmp, { recursive: true });
    const start = (env: Record<string, string> = {}) =>
      startMountServer({
        ...(kind === 'postgres' && { databaseUrl: ctx.w.testDb.url }),
        dataDir,
        mountRoot: join(ctx.w.work, `root-${kind}`),
        // BERTH_EMBEDDED_DB: the embedded PGlite even where the embedded default is another database.
        env: ctx.w.serverEnv({ TMPDIR: tmp, ...(kind === 'pglite' && { BERTH_EMBEDDED_DB: 'pglite' }), ...env }),
      });

    ctx.server = await start({ OSSFS_SHIM_DELAY_BEFORE: '5' });
    // The boot reconcile prepared the mounter: the folder exists, 0700, before any create.
    expect((await stat(credDir)).mode & 0o777).toBe(0o700);
    const creating = createSandbox(ctx.server, [volume(`held-${kind}`)]).catch(() => null);
    await waitFor('the mount command to start with its credentials file', async () =>
      (await recorded(ctx.w)).some((l) => l.startsWith('ossfs ') && l.includes(`held-${kind}`)),
    );
    const [left, ...more] = await readdir(credDir);
    expect(more).toEqual([]);
    expect((await stat(join(credDir, left!))).mode & 0o777).toBe(0o600);
    await ctx.server.kill('SIGKILL');
    expect(await creating).toBeNull();
    expect(await readdir(credDir)).toEqual([left]); // the crash left it behind

    const mark = (await recorded(ctx.w)).length;
    ctx.server = await start();
    expect(await readdir(credDir)).toEqual([]);
    const id = await createSandbox(ctx.server, [volume(`after-${kind}`)]);
    // Every mount command since the restart saw only its own file in the folder.
    const seen = (await recorded(ctx.w))
      .slice(mark)
      .map((l) => /^cred-dir (\S+): (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(seen.length).toBeGreaterThan(0);
    for (const [, own, listing] of seen) expect(listing!.trim().split(' ')).toEqual([own]);
    await deleteSandbox(ctx.server, id);
    expect(await readdir(credDir)).toEqual([]);

    expect(await filesHolding(tmp, ctx.w.secret)).toEqual([]);
  });
});
