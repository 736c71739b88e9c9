import type { Deps } from '../../deps.js';
import { invalid, notFound } from '../../errors.js';
import { execTarget } from '../target.js';
import { loadAccounts, type Accounts } from './accounts.js';
import { joinPath, sandboxPath } from './paths.js';
import { eachEntry, type TarHeader } from './tar.js';
import { statPath } from './resolve.js';

export type WalkEntry = { path: string; depth: number; header: TarHeader };

/**
 * Every entry below directory `raw` (itself excluded), in the engine's tar order: lexical per directory, each
 * directory's descendants right after it; symlinks are entries, never followed. The engine tars the whole
 * subtree whatever the caller wants from it: that is the cost of listing with no agent in the sandbox.
 */
export async function walkDirectory(
  deps: Pick<Deps, 'db' | 'config' | 'exec'>,
  sandboxId: string,
  raw: string | undefined,
  visit: (e: WalkEntry, acc: Accounts) => void,
  maxDepth = Infinity,
): Promise<void> {
  if (raw === undefined || raw === '') throw invalid('MISSING_QUERY', 'Missing query parameter: path.');
  const { containerId } = await execTarget(deps, sandboxId, { allowPaused: true });
  const dir = sandboxPath(raw);
  const stat = await statPath(deps.exec, containerId, dir);
  if (!stat) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${raw}`);
  if (stat.kind !== 'directory') throw invalid('INVALID_REQUEST_BODY', `Not a directory: ${raw}`);
  if (maxDepth <= 0) return; // checked, and nothing to list: spare the engine the subtree
  // One after the other: the engine holds the container's lock while an archive is unread, so a second
  // archive call made while the subtree's tar waits for its reader would wait forever.
  const acc = await loadAccounts(deps.exec, containerId);
  const archive = await deps.exec.readArchive(containerId, dir);
  await eachEntry(archive, (header) => {
    const rel = relativeName(dir, header.name);
    const depth = rel.split('/').length;
    if (rel === '' || depth > maxDepth) return;
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
