import type { Deps } from '../../deps.js';
import { invalid, notFound } from '../../errors.js';
import { execTarget } from '../target.js';
import { loadAccounts, type Accounts } from './accounts.js';
import { joinPath, sandboxPath } from './paths.js';
import { eachEntry, type TarHeader } from './tar.js';
import { statPath } from './resolve.js';
import { findEntries, walkTooLarge } from './find.js';

export type WalkEntry = { path: string; depth: number; header: TarHeader };

/**
 * Every entry below directory `raw` (itself excluded), in the engine's tar order: lexical per directory, each
 * directory's descendants right after it; symlinks are entries, never followed. A Running sandbox whose image
 * has `find` and `stat` is walked with them (find.ts: one exec, only names and metadata cross); otherwise the
 * engine tars the whole subtree (contents included) whatever the caller wants from it, so that walk is capped
 * at `execdMaxWalkEntries` entries and `execdMaxWalkBytes` of file data, and answers 413 WALK_TOO_LARGE beyond
 * either rather than streaming a huge tree. `filesOnly` (search) leaves directories out of the walk.
 */
export async function walkDirectory(
  deps: Pick<Deps, 'db' | 'config' | 'exec'>,
  sandboxId: string,
  raw: string | undefined,
  visit: (e: WalkEntry, acc: Accounts) => void,
  maxDepth = Infinity,
  filesOnly = false,
): Promise<void> {
  if (raw === undefined || raw === '') throw invalid('MISSING_QUERY', 'Missing query parameter: path.');
  const { containerId, paused } = await execTarget(deps, sandboxId, { allowPaused: true });
  const dir = sandboxPath(raw);
  const stat = await statPath(deps.exec, containerId, dir);
  if (!stat) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${raw}`);
  if (stat.kind !== 'directory') throw invalid('INVALID_REQUEST_BODY', `Not a directory: ${raw}`);
  if (maxDepth <= 0) return; // checked, and nothing to list: spare the engine the subtree
  // One after the other: the engine holds the container's lock while an archive is unread, so a second
  // archive call made while the subtree's tar waits for its reader would wait forever.
  const acc = await loadAccounts(deps.exec, containerId);
  const { execdMaxWalkEntries: maxEntries, execdMaxWalkBytes: maxBytes } = deps.config;
  const found = paused ? null : await findEntries(deps.exec, containerId, dir, { maxDepth, filesOnly, limit: maxEntries });
  if (found) {
    for (const { rel, header } of found) visit({ path: joinPath(dir, rel), depth: rel.split('/').length, header }, acc);
    return;
  }
  const archive = await deps.exec.readArchive(containerId, dir);
  let entries = 0;
  let bytes = 0;
  // A second hard link to a file is a `link` entry of size 0 naming the first: report the file's size, as stat does.
  const sizes = new Map<string, number>();
  await eachEntry(archive, (entry) => {
    if (++entries > maxEntries + 1) throw walkTooLarge(raw, `${maxEntries} entries`); // +1: the directory itself
    bytes += entry.size ?? 0;
    if (bytes > maxBytes) throw walkTooLarge(raw, `${maxBytes} bytes of files (the image has no find to walk it with)`);
    if (entry.type === 'file') sizes.set(entry.name, entry.size ?? 0);
    const header = entry.type === 'link' && entry.linkname ? { ...entry, size: sizes.get(entry.linkname) ?? 0 } : entry;
    const rel = relativeName(dir, header.name);
    const depth = rel.split('/').length;
    if (rel === '' || depth > maxDepth || (filesOnly && header.type === 'directory')) return;
    visit({ path: joinPath(dir, rel), depth, header }, acc);
  });
}

/**
 * An entry's path below the archived directory. The engine names entries relative to the directory's parent
 * (`base/child`), except for `/`, whose entries are absolute (`/`, `/bin/`, `/bin/sh`).
 */
export function relativeName(dir: string, name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  if (dir === '/') return trimmed.replace(/^\.?\/+/, '');
  const slash = trimmed.indexOf('/');
  return slash < 0 ? '' : trimmed.slice(slash + 1);
}
