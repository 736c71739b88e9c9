import { readFile } from 'node:fs/promises';

/**
 * /proc/self/mountinfo: `id parent maj:min root mountpoint opts [optional...] - fstype source superopts`,
 * with space, tab, newline and backslash escaped as octal (\040, \011, \012, \134).
 */
export type MountEntry = { id: number; parent: number; mountPoint: string; optional: string[]; fsType: string; source: string; superOptions: string };

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      mountPoint: unescape(f[4]!),
      optional: f.slice(6, sep),
      fsType: f[sep + 1]!,
      source: unescape(f[sep + 2]!),
      superOptions: f[sep + 3] ?? '',
    });
  }
  return out;
}

export async function readMountinfo(file = '/proc/self/mountinfo'): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(file, 'utf8'));
}

/** The mount a path lookup lands on: the last entry listed at that mount point (stacked mounts come later). */
export function topMountAt(entries: MountEntry[], path: string): MountEntry | null {
  let top: MountEntry | null = null;
  for (const e of entries) if (e.mountPoint === path) top = e;
  return top;
}

export const isFuse = (e: MountEntry) => e.fsType === 'fuse' || e.fsType.startsWith('fuse.') || e.fsType === 'fuseblk';
export const isShared = (e: MountEntry) => e.optional.some((o) => o.startsWith('shared:'));
