import type { Deps } from '../../deps.js';
import { notFound } from '../../errors.js';
import type { SandboxExec } from '../port.js';
import { execTarget } from '../target.js';
import { loadAccounts } from './accounts.js';
import { infoFromStat, type FileInfo } from './file-info.js';
import { sandboxPath } from './paths.js';
import { firstEntry } from './tar.js';
import { statPath } from './resolve.js';

/**
 * GET /files/info: FileInfo per requested path, keyed by the string as requested. The engine's stat has no
 * owner, so each path's uid/gid come from the first header of its archive (closed right after it: for a
 * directory the rest would be the whole subtree). One missing path fails the whole request, as upstream.
 */
export async function getFilesInfo(deps: Pick<Deps, 'db' | 'config' | 'exec'>, sandboxId: string, requested: string[]): Promise<Record<string, FileInfo>> {
  const { containerId } = await execTarget(deps, sandboxId, { allowPaused: true });
  const paths = requested.map((p) => sandboxPath(p));
  const stats = await Promise.all(paths.map((p) => statPath(deps.exec, containerId, p)));
  const missing = stats.findIndex((s) => s === null);
  if (missing >= 0) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${requested[missing]}`);
  // Sequential: an unread archive holds the engine's container lock (see walk.ts).
  const acc = await loadAccounts(deps.exec, containerId);
  const owners: { uid: number; gid: number }[] = [];
  for (const p of paths) owners.push(await ownerOf(deps.exec, containerId, p));
  const out: Record<string, FileInfo> = {};
  requested.forEach((key, i) => {
    out[key] = infoFromStat(paths[i]!, stats[i]!, owners[i]!, acc);
  });
  return out;
}

/** uid/gid of `path` itself (not following a symlink at the end, like the stat). */
export async function ownerOf(exec: SandboxExec, containerId: string, path: string): Promise<{ uid: number; gid: number }> {
  const entry = await firstEntry(await exec.readArchive(containerId, path));
  if (!entry) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${path}`);
  entry.close();
  return { uid: entry.header.uid ?? 0, gid: entry.header.gid ?? 0 };
}
