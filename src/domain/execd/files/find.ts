import { DomainError } from '../../errors.js';
import { ImageFacts } from '../image-facts.js';
import { ROOT } from '../run-tool.js';
import type { SandboxExec } from '../port.js';
import type { TarHeader } from './tar.js';

/** One entry below the walked directory, in the shape the archive walk gives (so both feed one FileInfo mapper). */
export type FoundEntry = { rel: string; header: TarHeader };

/** The walk holds more entries than the configured limit: 413, never a huge answer. */
export const walkTooLarge = (dir: string, limit: string) =>
  new DomainError('too_large', 'WALK_TOO_LARGE', `${dir} holds more than ${limit}; list or search a smaller directory.`);

// Containers seen without a usable find/stat: the archive walk at once, without an exec that cannot start.
const withoutFind = new ImageFacts<true>();

// %f raw mode (hex, with the type bits), uid, gid, size, mtime (s), name: options GNU and busybox stat share
const STAT_FORMAT = '%f %u %g %s %Y %n';
const RECORD = /^([0-9a-f]{1,8}) (\d{1,10}) (\d{1,10}) (\d{1,20}) (-?\d{1,20}) (.*)$/s;

/**
 * Entries below `dir` (itself excluded) with the image's own `find` and `stat`, one exec, argv only:
 * `find dir -mindepth 1 [-maxdepth N] ( -name '*<LF>*' -print0 ) -o [! -type d] -exec stat -c FORMAT {} +`,
 * every option one GNU findutils/coreutils and busybox both have. Symlinks are not followed (find's default,
 * stat's lstat). Sorted as the engine's tar would be (byte order per directory, each directory's descendants
 * right after it). A name with a newline cannot be told apart in stat's lines, so find prints such a name
 * with a NUL instead, and the answer is null: the caller walks the archive. Also null when the image has no
 * find or stat (or they fail with nothing to show). More than `limit` entries: 413 WALK_TOO_LARGE, the exec
 * torn down at once. As root (whatever the image's USER), so it sees what the archive walk would: a directory
 * the image's user cannot read would otherwise be left out of a listing that looks complete.
 */
export async function findEntries(
  exec: SandboxExec,
  containerId: string,
  dir: string,
  opts: { maxDepth: number; filesOnly: boolean; limit: number },
): Promise<FoundEntry[] | null> {
  if (withoutFind.get(containerId) || dir.includes('\n')) return null;
  const cmd = ['find', dir, '-mindepth', '1'];
  if (Number.isFinite(opts.maxDepth)) cmd.push('-maxdepth', String(opts.maxDepth));
  // `A -o B C` is A or (B and C): a name with a newline is printed (any type), anything else stat'ed
  cmd.push('(', '-name', '*\n*', '-print0', ')', '-o', ...(opts.filesOnly ? ['!', '-type', 'd'] : []), '-exec', 'stat', '-c', STAT_FORMAT, '{}', '+');
  let handle;
  try {
    handle = await exec.start(containerId, { cmd, user: ROOT });
  } catch (e) {
    if (e instanceof DomainError && e.code === 'NOT_SUPPORTED') return remember(containerId);
    throw e;
  }
  const prefix = dir === '/' ? '/' : `${dir}/`;
  const out: FoundEntry[] = [];
  let pending = '';
  let unusable = false;
  let over = false;
  const take = (line: string) => {
    const m = RECORD.exec(line);
    if (!m || !m[6]!.startsWith(prefix)) return void (unusable = true);
    if (out.length >= opts.limit) {
      over = true;
      return handle.detach();
    }
    out.push({ rel: m[6]!.slice(prefix.length), header: headerOf(m) });
  };
  handle.stdout.setEncoding('utf8');
  handle.stdout.on('data', (chunk: string) => {
    if (over || unusable) return;
    if (chunk.includes('\0')) return void (unusable = true);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (!over && !unusable) take(line);
  });
  handle.stderr.resume();
  await handle.ended;
  handle.detach();
  if (over) throw walkTooLarge(dir, `${opts.limit} entries`);
  if (pending !== '' && !unusable) take(pending);
  if (unusable) return null;
  const status = await exec.inspect(handle.execId).catch(() => null);
  // 126/127: no find or stat in the image; any other failure with nothing found is not trusted either
  // (find exits 1 when a directory vanished or was unreadable mid-walk, and still printed what it saw)
  if (status?.exitCode === 126 || status?.exitCode === 127) return remember(containerId);
  if (status?.exitCode !== 0 && out.length === 0) return null;
  return sortAsTar(out);
}

function remember(containerId: string): null {
  withoutFind.set(containerId, true);
  return null;
}

const S_IFMT = 0o170000;
const TYPES: Record<number, TarHeader['type']> = {
  0o040000: 'directory',
  0o100000: 'file',
  0o120000: 'symlink',
  0o020000: 'character-device',
  0o060000: 'block-device',
  0o010000: 'fifo',
  0o140000: 'fifo', // a socket: tar has no type for it; both are 'other' on the wire
};

/** A stat line as the tar header the archive walk would have given: directories and symlinks have size 0 there. */
function headerOf(m: RegExpExecArray): TarHeader {
  const raw = parseInt(m[1]!, 16);
  const type = TYPES[raw & S_IFMT] ?? 'file';
  const sized = type === 'file';
  return {
    name: m[6]!,
    type,
    mode: raw & 0o7777,
    uid: Number(m[2]),
    gid: Number(m[3]),
    size: sized ? Number(m[4]) : 0,
    mtime: new Date(Number(m[5]) * 1000),
  };
}

/**
 * Byte order of names, compared segment by segment (a directory sorts right before its descendants): one key
 * per entry with each `/` as NUL, which sorts below every byte a name can hold.
 */
function sortAsTar(entries: FoundEntry[]): FoundEntry[] {
  const keyed = entries.map((e) => ({ e, key: Buffer.from(e.rel.replaceAll('/', '\0')) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((k) => k.e);
}
