import type { Deps } from '../../deps.js';
import { isDomainError, notFound } from '../../errors.js';
import type { PathStat } from '../port.js';
import { execTarget } from '../target.js';
import { loadAccounts, resolveOwner } from './accounts.js';
import { ownerOf } from './info.js';
import { parentOf, relativeTo, sandboxPath } from './paths.js';
import { putEntry } from './put.js';
import { entriesByPath, ownershipOf } from './requests.js';
import { followLinks } from './resolve.js';
import { rewriteHeader } from './rewrite.js';
import { runTool } from '../run-tool.js';

type FileDeps = Pick<Deps, 'db' | 'config' | 'exec'>;
type Planned = { path: string; stat: PathStat; mode?: number; uid?: number; gid?: number };

/**
 * POST /files/permissions `{"P": {mode, owner?, group?}}` (a symlink is followed, as chmod(2) does). A directory
 * gets a header-only entry (cheap, works everywhere). A file is changed in place with the image's chmod/chown
 * (argv, no shell); when the image has neither, or the sandbox is paused, the file is rewritten through the
 * archive with the new header: O(size), and a new inode.
 */
export async function setPermissions(deps: FileDeps, sandboxId: string, body: unknown): Promise<void> {
  const { containerId, paused } = await execTarget(deps, sandboxId, { allowPaused: true });
  const acc = await loadAccounts(deps.exec, containerId);
  const planned: Planned[] = [];
  for (const [raw, spec] of entriesByPath(body)) {
    const own = ownershipOf(spec, raw);
    const ids = resolveOwner(acc, own.owner, own.group, 'INVALID_REQUEST_BODY');
    const target = await followLinks(deps.exec, containerId, sandboxPath(raw));
    if (!target.stat) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${raw}`);
    planned.push({ path: target.path, stat: target.stat, ...(own.mode !== undefined && { mode: own.mode }), ...ids });
  }
  for (const p of planned) {
    if (p.mode === undefined && p.uid === undefined && p.gid === undefined) continue;
    if (p.stat.kind === 'directory') await reapplyDirectory(deps, containerId, p);
    else if (paused || !(await changeInPlace(deps, containerId, p))) await rewriteHeader(deps.exec, containerId, p.path, p);
  }
}

async function reapplyDirectory(deps: FileDeps, containerId: string, p: Planned): Promise<void> {
  if (p.path === '/') return; // no entry can name the root itself
  const current = await ownerOf(deps.exec, containerId, p.path);
  const at = { dir: parentOf(p.path), rest: relativeTo(parentOf(p.path), p.path) };
  const header = { type: 'directory' as const, mode: p.mode ?? p.stat.mode, uid: p.uid ?? current.uid, gid: p.gid ?? current.gid, mtime: p.stat.modifiedAt };
  await putEntry(deps.exec, containerId, at, header);
}

/** chmod/chown inside the sandbox; false when the image lacks the tool (the caller falls back to the archive). */
async function changeInPlace(deps: FileDeps, containerId: string, p: Planned): Promise<boolean> {
  try {
    if (p.mode !== undefined) await runTool(deps.exec, containerId, ['chmod', p.mode.toString(8), '--', p.path], 'Changing a file mode');
    if (p.uid !== undefined || p.gid !== undefined) {
      const who = `${p.uid ?? ''}${p.gid !== undefined ? `:${p.gid}` : ''}`;
      await runTool(deps.exec, containerId, ['chown', who, '--', p.path], 'Changing a file owner');
    }
    return true;
  } catch (e) {
    if (isDomainError(e) && e.code === 'NOT_SUPPORTED') return false;
    throw e;
  }
}
