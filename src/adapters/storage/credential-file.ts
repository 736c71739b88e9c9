import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../domain/ports.js';

// <prefix>-<pid>-<24 hex>: the pid says which process a file belongs to, so a sweep spares one in flight.
const FILE_NAME = /^berth-ossfs2?-(?:passwd|conf)-(\d+)-[0-9a-f]{24}$/;

/**
 * A credentials file for one mount command, in berth's own credentials folder (prepareCredentialDir):
 * mode 0600 and created exclusively (O_CREAT|O_EXCL, so nothing planted at that name is followed or
 * reused), removed by `use` once the command returns (the tools read it at start-up only). A crash between
 * the write and the removal leaves the file in that 0700 folder, where the next boot's sweep finds it.
 */
export async function withCredentialFile<T>(prefix: string, content: string, use: (path: string) => Promise<T>, dir: string): Promise<T> {
  const path = join(dir, `${prefix}-${process.pid}-${randomBytes(12).toString('hex')}`);
  const fh = await open(path, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(content, 'utf8');
    } finally {
      await fh.close();
    }
    return await use(path);
  } finally {
    await unlink(path).catch(() => {});
  }
}

/**
 * Make the credentials folder berth's own (created 0700, or brought back to 0700; refused when it is a
 * symlink or someone else's) and sweep it: every credentials file a crashed process left behind goes.
 * Run once per process before its first mount. Spared: files of another live berth process on this host
 * (several processes may share one data folder; theirs are in flight). Nothing but berth's own file names
 * is ever removed, so a folder pointed at by mistake loses nothing else. Returns the absolute path.
 */
export async function prepareCredentialDir(dir: string, log: Logger): Promise<string> {
  const abs = resolve(dir);
  await mkdir(abs, { recursive: true, mode: 0o700 });
  const st = await lstat(abs);
  if (!st.isDirectory()) throw new Error(`credentials folder ${abs} is not a directory (a symlink is refused)`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`credentials folder ${abs} belongs to uid ${st.uid}, not to berth`);
  if ((st.mode & 0o777) !== 0o700) await chmod(abs, 0o700);
  let removed = 0;
  let foreign = 0;
  for (const name of await readdir(abs)) {
    const m = FILE_NAME.exec(name);
    if (!m) {
      foreign++;
      continue;
    }
    if (isOtherLiveProcess(Number(m[1]))) continue;
    await unlink(join(abs, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    removed++;
  }
  if (removed > 0) log.warn({ dir: abs, removed }, 'removed credentials files a crashed process left behind');
  if (foreign > 0) log.warn({ dir: abs, entries: foreign }, 'credentials folder holds entries berth did not write; left alone');
  return abs;
}

/** A pid of this process's namespace that is alive and not ours (ours at boot is an earlier life's). */
function isOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
