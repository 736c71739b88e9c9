import type { Deps } from '../../deps.js';
import { invalid } from '../../errors.js';
import { execTarget } from '../target.js';
import { sandboxPath } from './paths.js';
import { runTool } from '../run-tool.js';
import { statPath } from './resolve.js';

type FileDeps = Pick<Deps, 'db' | 'config' | 'exec'>;

/**
 * DELETE /files?path=...: `rm -f` (the archive API cannot delete); a missing path is ignored, a directory is
 * refused before anything is removed (upstream: 500; berth: 400). A symlink is removed, not its target.
 */
export async function deleteFiles(deps: FileDeps, sandboxId: string, raw: string[]): Promise<void> {
  const { containerId } = await execTarget(deps, sandboxId);
  const paths = raw.map((p) => sandboxPath(p));
  const stats = await Promise.all(paths.map((p) => statPath(deps.exec, containerId, p)));
  const dir = stats.findIndex((s) => s?.kind === 'directory');
  if (dir >= 0) throw invalid('INVALID_REQUEST_BODY', `${raw[dir]} is a directory; use DELETE /directories.`);
  const present = paths.filter((_, i) => stats[i] !== null);
  if (present.length > 0) await runTool(deps.exec, containerId, ['rm', '-f', '--', ...present], 'Deleting files');
}

/** DELETE /directories?path=...: `rm -rf` (a missing path is ignored, a file is removed too, as os.RemoveAll). `/` is refused. */
export async function deleteDirectories(deps: FileDeps, sandboxId: string, raw: string[]): Promise<void> {
  const { containerId } = await execTarget(deps, sandboxId);
  const paths = raw.map((p) => sandboxPath(p));
  if (paths.includes('/')) throw invalid('INVALID_REQUEST_BODY', 'Refusing to delete the root directory.');
  // Nothing to delete needs no tool, so an idempotent delete works in any image.
  const present = (await Promise.all(paths.map(async (p) => ((await statPath(deps.exec, containerId, p)) ? p : null)))).filter((p) => p !== null);
  if (present.length > 0) await runTool(deps.exec, containerId, ['rm', '-rf', '--', ...present], 'Deleting directories');
}
