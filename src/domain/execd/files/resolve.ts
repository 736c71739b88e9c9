import { invalid } from '../../errors.js';
import { SymlinkLoop, type PathStat, type SandboxExec } from '../port.js';
import { baseOf, parentOf, relativeTo, sandboxPath } from './paths.js';
import type { CodeOf } from '../../error-codes.js';

const MAX_LINK_HOPS = 16;

/**
 * The engine's lstat, where a path through a regular file (`/etc/passwd/x`) is missing (ENOTDIR) rather
 * than an engine failure: the engine answers such a HEAD with a bare 500, so on a failure the parents
 * are checked, and the failure stands only when they are all directories.
 */
export async function statPath(exec: SandboxExec, containerId: string, path: string): Promise<PathStat | null> {
  try {
    return await exec.stat(containerId, path);
  } catch (e) {
    if (e instanceof SymlinkLoop) return loopLink(exec, containerId, path, e);
    for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) {
      const s = await exec.stat(containerId, dir).catch(() => undefined);
      if (s === null) continue;
      if (s && s.kind !== 'directory' && s.kind !== 'symlink') return null;
      if (s) break;
    }
    throw e;
  }
}

/**
 * A loop at the last component (`l -> l` in a directory that resolves): the entry exists, a symlink the engine
 * cannot stat (it fails resolving the target). It is reported as a symlink with no target, so delete and move
 * act on the link itself as rm(1) and mv(1) do; following it (followLinks) refuses it. A loop in a parent stays
 * the 400 it is.
 */
async function loopLink(exec: SandboxExec, containerId: string, path: string, loop: SymlinkLoop): Promise<PathStat> {
  const dir = parentOf(path);
  const parent = path === '/' ? null : await exec.stat(containerId, dir).catch(() => null);
  if (!parent || !(await isDirectory(exec, containerId, dir, parent).catch(() => false))) throw loop;
  return { name: baseOf(path), kind: 'symlink', size: 0, mode: 0o777, modifiedAt: new Date(0), linkTarget: '' };
}

/**
 * Follow a symlink at the last component (the engine's stat is an lstat there, and resolves symlinks in the
 * parents itself), as open(2) would for a download, a replace or an upload onto a link. The engine reports
 * the target as an absolute in-sandbox path. Returns the final path and its stat, null when it does not exist.
 */
export async function followLinks(exec: SandboxExec, containerId: string, path: string): Promise<{ path: string; stat: PathStat | null }> {
  let p = path;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const stat = await statPath(exec, containerId, p);
    if (!stat || stat.kind !== 'symlink') return { path: p, stat };
    // the engine names every target it can resolve; none is a loop
    if (stat.linkTarget === '') throw new SymlinkLoop(path);
    p = sandboxPath(stat.linkTarget);
  }
  throw new SymlinkLoop(path);
}

/** Is `path` a directory, following a symlink at its last component? */
async function isDirectory(exec: SandboxExec, containerId: string, path: string, stat: PathStat): Promise<boolean> {
  if (stat.kind === 'directory') return true;
  if (stat.kind !== 'symlink') return false;
  return (await statPath(exec, containerId, `${path}/`))?.kind === 'directory';
}

/**
 * The deepest existing directory on the way to `path`, and the rest of `path` below it: the engine's PUT
 * extracts into an existing directory only, and creates the parents an entry's name implies (0755, root).
 */
export async function existingAncestor(
  exec: SandboxExec,
  containerId: string,
  path: string,
  code: CodeOf<'invalid'> = 'INVALID_REQUEST_BODY',
): Promise<{ dir: string; rest: string }> {
  let dir = parentOf(path);
  for (;;) {
    const stat = await statPath(exec, containerId, dir);
    if (stat) {
      if (!(await isDirectory(exec, containerId, dir, stat))) throw invalid(code, `${dir} is not a directory.`);
      return { dir, rest: relativeTo(dir, path) };
    }
    if (dir === '/') throw invalid(code, 'The sandbox has no root directory.');
    dir = parentOf(dir);
  }
}
