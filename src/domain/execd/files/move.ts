import type { Deps } from '../../deps.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { execTarget } from '../target.js';
import { parentOf, sandboxPath } from './paths.js';
import { putEntry } from './put.js';
import { existingAncestor, statPath } from './resolve.js';
import { runTool } from '../run-tool.js';

/**
 * POST /files/mv `[{src, dest}]` with the image's `mv` (the archive API cannot rename). A missing src is 404;
 * an existing dest is 409 FILE_EXISTS, checked up front (upstream answers 500 RUNTIME_ERROR from rename(2);
 * checking also keeps `mv` from moving src *into* an existing directory). dest's missing parents are created
 * (0755 root) through the archive first. Needs a running sandbox: a paused one answers 409.
 */
export async function moveFiles(deps: Pick<Deps, 'db' | 'config' | 'exec'>, sandboxId: string, body: unknown): Promise<void> {
  const { containerId } = await execTarget(deps, sandboxId);
  if (!Array.isArray(body)) throw invalid('INVALID_REQUEST_BODY', 'The body must be a JSON array of {src, dest}.');
  const moves: { src: string; dest: string }[] = [];
  for (const item of body as unknown[]) {
    const m = (item ?? {}) as Record<string, unknown>;
    const src = sandboxPath(m.src, 'src');
    const dest = sandboxPath(m.dest, 'dest');
    if (src === '/') throw invalid('INVALID_REQUEST_BODY', 'Refusing to move the root directory.');
    if (dest === src || dest.startsWith(`${src}/`)) throw invalid('INVALID_REQUEST_BODY', `Cannot move ${src} into itself (${dest}).`);
    if (!(await statPath(deps.exec, containerId, src))) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${String(m.src)}`);
    if (await statPath(deps.exec, containerId, dest)) throw conflict('FILE_EXISTS', `The destination already exists: ${String(m.dest)}`);
    moves.push({ src, dest });
  }
  for (const { src, dest } of moves) {
    const parent = parentOf(dest);
    if (!(await statPath(deps.exec, containerId, parent))) {
      const at = await existingAncestor(deps.exec, containerId, parent);
      await putEntry(deps.exec, containerId, at, { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date() });
    }
    await runTool(deps.exec, containerId, ['mv', '--', src, dest], 'Moving a file');
  }
}
