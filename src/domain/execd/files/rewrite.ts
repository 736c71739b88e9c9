import { notFound } from '../../errors.js';
import type { SandboxExec } from '../port.js';
import { parentOf, relativeTo } from './paths.js';
import { putEntry } from './put.js';
import { Spool } from './spool.js';
import { firstEntry } from './tar.js';

/**
 * Change a file's mode/uid/gid with nothing but the archive API: copy its entry out and back in with the new
 * header (content and mtime kept). The bytes go through a local spool file, not straight from the GET into
 * the PUT: the engine holds the container's lock until an archive has been read, so a PUT to the same
 * container while the GET is still streaming would wait forever. Not atomic against a concurrent writer;
 * a new inode.
 */
export async function rewriteHeader(
  exec: SandboxExec,
  containerId: string,
  path: string,
  change: { mode?: number; uid?: number; gid?: number },
): Promise<void> {
  const entry = await firstEntry(await exec.readArchive(containerId, path));
  if (!entry) throw notFound('FILE_NOT_FOUND', `No such file: ${path}`);
  const spool = new Spool();
  try {
    const h = entry.header;
    try {
      await spool.fill(entry.data, () => {});
    } finally {
      entry.close();
    }
    const header = {
      type: h.type,
      size: spool.size,
      mode: change.mode ?? h.mode ?? 0o644,
      uid: change.uid ?? h.uid ?? 0,
      gid: change.gid ?? h.gid ?? 0,
      mtime: h.mtime ?? new Date(),
      ...(h.linkname && { linkname: h.linkname }),
      ...(h.devmajor !== undefined && { devmajor: h.devmajor, devminor: h.devminor }),
    };
    const parent = parentOf(path);
    await putEntry(exec, containerId, { dir: parent, rest: relativeTo(parent, path) }, header, spool.size > 0 ? spool.open() : undefined);
  } finally {
    await spool.remove();
  }
}
