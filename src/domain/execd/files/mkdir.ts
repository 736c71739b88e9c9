import type { Deps } from '../../deps.js';
import { invalid } from '../../errors.js';
import { execTarget } from '../target.js';
import { loadAccounts, resolveOwner } from './accounts.js';
import { ownerOf } from './info.js';
import { sandboxPath } from './paths.js';
import { putEntry, type Placement } from './put.js';
import { entriesByPath, ownershipOf } from './requests.js';
import { existingAncestor, statPath } from './resolve.js';

const DEFAULT_DIR_MODE = 0o755;

type Planned = { at: Placement; mode: number; uid: number; gid: number; mtime: Date };

/**
 * POST /directories `{"D": {mode, owner?, group?}}`: one header-only directory entry per D, PUT into its
 * deepest existing ancestor (parents are created 0755 root, as upstream's MkdirAll). An existing directory gets
 * the entry too, which re-applies mode and owner; what the request leaves out keeps its current value there.
 * Everything is checked before the first write.
 */
export async function createDirectories(deps: Pick<Deps, 'db' | 'config' | 'exec'>, sandboxId: string, body: unknown): Promise<void> {
  const { containerId } = await execTarget(deps, sandboxId, { allowPaused: true });
  const entries = entriesByPath(body);
  const acc = await loadAccounts(deps.exec, containerId);
  const planned: Planned[] = [];
  for (const [raw, spec] of entries) {
    const path = sandboxPath(raw);
    const own = ownershipOf(spec, raw);
    const ids = resolveOwner(acc, own.owner, own.group, 'INVALID_REQUEST_BODY');
    if (path === '/') continue; // the root always exists; the engine cannot re-apply an entry over it
    const stat = await statPath(deps.exec, containerId, path);
    if (stat && stat.kind !== 'directory') throw invalid('INVALID_REQUEST_BODY', `${raw} exists and is not a directory.`);
    const current = stat && (ids.uid === undefined || ids.gid === undefined) ? await ownerOf(deps.exec, containerId, path) : { uid: 0, gid: 0 };
    planned.push({
      at: await existingAncestor(deps.exec, containerId, path),
      mode: own.mode ?? stat?.mode ?? DEFAULT_DIR_MODE,
      uid: ids.uid ?? current.uid,
      gid: ids.gid ?? current.gid,
      mtime: stat?.modifiedAt ?? new Date(),
    });
  }
  for (const p of planned) await putEntry(deps.exec, containerId, p.at, { type: 'directory', mode: p.mode, uid: p.uid, gid: p.gid, mtime: p.mtime });
}
