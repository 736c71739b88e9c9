import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.js';
import { invalid } from '../../errors.js';
import { execTarget } from '../target.js';
import { loadAccounts, resolveOwner, type Accounts } from './accounts.js';
import { readUploadParts } from './multipart.js';
import { sandboxPath } from './paths.js';
import { putEntry, type Placement } from './put.js';
import { ownershipOf } from './requests.js';
import { existingAncestor, followLinks } from './resolve.js';
import type { Spool } from './spool.js';

type UploadDeps = Pick<Deps, 'db' | 'config' | 'exec' | 'metrics'>;

// When a request names no mode: upstream creates with 0777 &^ umask, 0755 in practice.
const DEFAULT_FILE_MODE = 0o755;
const BAD = 'INVALID_FILE_METADATA';

type Planned = { path: string; at: Placement; mode: number; uid: number; gid: number; spool: Spool };

/** What an upload wrote: each file's resolved path in the sandbox and its size. */
export type Uploaded = Array<{ path: string; bytes: number }>;

/**
 * POST /files/upload: pairs of `metadata` + `file` parts. Every file is spooled first, then every target is
 * checked (path, mode, owner and group names, not a directory, no file where a parent should be) before the
 * first byte is written, so a bad request leaves nothing behind. Each file becomes one tar entry PUT into its
 * deepest existing ancestor (the engine creates the missing parents, 0755 root). Owner and group default to
 * root, as execd (running as root) creates them.
 */
export async function uploadFiles(deps: UploadDeps, sandboxId: string, req: { contentType: string | undefined; body: Readable | null }): Promise<Uploaded> {
  const { containerId } = await execTarget(deps, sandboxId, { allowPaused: true });
  if (!req.body) throw invalid('INVALID_FILE', 'The upload has no body.');
  const parts = await readUploadParts(req.body, req.contentType, deps.config.execdMaxUploadBytes);
  try {
    if (parts.metadata.length === 0) throw invalid('INVALID_FILE_METADATA', 'The upload has no metadata part.');
    if (parts.files.length === 0) throw invalid('INVALID_FILE_CONTENT', 'The upload has no file part.');
    if (parts.metadata.length !== parts.files.length) throw invalid('INVALID_FILE', 'Every metadata part needs exactly one file part after it.');
    let acc: Accounts | undefined;
    const planned: Planned[] = [];
    for (const [i, text] of parts.metadata.entries()) {
      const meta = metadataOf(text);
      const own = ownershipOf(meta, 'metadata', BAD);
      if ((own.owner !== undefined || own.group !== undefined) && !acc) acc = await loadAccounts(deps.exec, containerId);
      const ids = acc ? resolveOwner(acc, own.owner, own.group, BAD) : {};
      const target = await followLinks(deps.exec, containerId, sandboxPath(meta.path, 'metadata.path', BAD));
      if (target.stat?.kind === 'directory' || target.path === '/') throw invalid(BAD, `${String(meta.path)} is a directory.`);
      const at = await existingAncestor(deps.exec, containerId, target.path, BAD);
      planned.push({ path: target.path, at, mode: own.mode ?? DEFAULT_FILE_MODE, uid: ids.uid ?? 0, gid: ids.gid ?? 0, spool: parts.files[i]! });
    }
    for (const p of planned) {
      const header = { type: 'file' as const, size: p.spool.size, mode: p.mode, uid: p.uid, gid: p.gid, mtime: new Date() };
      await putEntry(deps.exec, containerId, p.at, header, p.spool.open());
      deps.metrics.execdFileBytes('upload', p.spool.size);
    }
    return planned.map((p) => ({ path: p.path, bytes: p.spool.size }));
  } finally {
    await Promise.all(parts.files.map((s) => s.remove()));
  }
}

function metadataOf(text: string): Record<string, unknown> {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw invalid(BAD, 'The metadata part is not JSON.');
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw invalid(BAD, 'The metadata part must be a JSON object {path, mode?, owner?, group?}.');
  return meta as Record<string, unknown>;
}
