import type { PathKind, PathStat } from '../../domain/execd/port.js';

// Go's os.FileMode type bits, as the engine reports them in X-Docker-Container-Path-Stat.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_TYPE =
  MODE_DIR |
  (2 ** 30) /* append */ |
  (2 ** 29) /* exclusive */ |
  MODE_SYMLINK |
  (2 ** 26) /* device */ |
  (2 ** 25) /* pipe */ |
  (2 ** 24) /* socket */ |
  (2 ** 19); /* irregular */
const SETUID = 2 ** 23;
const SETGID = 2 ** 22;
const STICKY = 2 ** 20;

/** Decode the engine's base64 JSON `{name, size, mode, mtime, linkTarget}`. */
export function pathStatOf(header: string): PathStat {
  const raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { name: string; size: number; mode: number; mtime: string; linkTarget?: string };
  const mode = raw.mode >>> 0;
  return {
    name: raw.name,
    kind: kindOf(mode),
    size: raw.size,
    mode: (mode & 0o777) | (mode & SETUID ? 0o4000 : 0) | (mode & SETGID ? 0o2000 : 0) | (mode & STICKY ? 0o1000 : 0),
    modifiedAt: new Date(raw.mtime),
    linkTarget: raw.linkTarget ?? '',
  };
}

function kindOf(mode: number): PathKind {
  if (mode & MODE_DIR) return 'directory';
  if (mode & MODE_SYMLINK) return 'symlink';
  if ((mode & MODE_TYPE) === 0) return 'file';
  return 'other';
}
