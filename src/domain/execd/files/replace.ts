import type { Deps } from '../../deps.js';
import { invalid, notFound } from '../../errors.js';
import { execTarget } from '../target.js';
import { parentOf, relativeTo, sandboxPath } from './paths.js';
import { putEntry, tooLarge } from './put.js';
import { entriesByPath } from './requests.js';
import { followLinks } from './resolve.js';
import { firstEntry, type TarHeader } from './tar.js';

type Planned = { key: string; path: string; old: Buffer; new: Buffer };

/**
 * POST /files/replace `{"P": {old, new}}`: upstream's strings.ReplaceAll on the whole file, on bytes (a file
 * that is not UTF-8 survives), written back with the same mode, uid and gid. Files are read whole, so they
 * are bounded by execdMaxReplaceBytes (413). A file with nothing to replace is left untouched.
 */
export async function replaceContents(
  deps: Pick<Deps, 'db' | 'config' | 'exec'>,
  sandboxId: string,
  body: unknown,
): Promise<Record<string, { replacedCount: number }>> {
  const { containerId } = await execTarget(deps, sandboxId, { allowPaused: true });
  const max = deps.config.execdMaxReplaceBytes;
  const planned: Planned[] = [];
  for (const [key, spec] of entriesByPath(body)) {
    if (typeof spec.old !== 'string' || spec.old === '') throw invalid('INVALID_REQUEST_BODY', `${key}: old must be a non-empty string.`);
    if (typeof spec.new !== 'string') throw invalid('INVALID_REQUEST_BODY', `${key}: new must be a string.`);
    const target = await followLinks(deps.exec, containerId, sandboxPath(key));
    if (!target.stat) throw notFound('FILE_NOT_FOUND', `No such file: ${key}`);
    if (target.stat.kind !== 'file') throw invalid('INVALID_REQUEST_BODY', `Not a regular file: ${key}`);
    if (target.stat.size > max) throw tooLarge(`${key} is larger than ${max} bytes, the most /files/replace rewrites.`);
    planned.push({ key, path: target.path, old: Buffer.from(spec.old), new: Buffer.from(spec.new) });
  }
  const out: Record<string, { replacedCount: number }> = {};
  for (const p of planned) {
    const { header, content } = await readWhole(deps.exec, containerId, p.path, max);
    const { result, count } = replaceAll(content, p.old, p.new);
    if (count > 0) {
      const h = { type: 'file' as const, size: result.length, mode: header.mode ?? 0o644, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: new Date() };
      await putEntry(deps.exec, containerId, { dir: parentOf(p.path), rest: relativeTo(parentOf(p.path), p.path) }, h, result);
    }
    out[p.key] = { replacedCount: count };
  }
  return out;
}

async function readWhole(exec: Deps['exec'], containerId: string, path: string, max: number): Promise<{ header: TarHeader; content: Buffer }> {
  const entry = await firstEntry(await exec.readArchive(containerId, path));
  if (!entry) throw notFound('FILE_NOT_FOUND', `No such file: ${path}`);
  try {
    if ((entry.header.size ?? 0) > max) throw tooLarge(`${path} is larger than ${max} bytes, the most /files/replace rewrites.`);
    const chunks: Buffer[] = [];
    for await (const c of entry.data) chunks.push(c as Buffer);
    return { header: entry.header, content: Buffer.concat(chunks) };
  } finally {
    entry.close();
  }
}

/** Non-overlapping, left to right, like Go's strings.ReplaceAll with a non-empty `old`. */
export function replaceAll(content: Buffer, old: Buffer, replacement: Buffer): { result: Buffer; count: number } {
  const parts: Buffer[] = [];
  let from = 0;
  let count = 0;
  for (let at = content.indexOf(old, from); at >= 0; at = content.indexOf(old, from)) {
    parts.push(content.subarray(from, at), replacement);
    from = at + old.length;
    count++;
  }
  if (count === 0) return { result: content, count };
  parts.push(content.subarray(from));
  return { result: Buffer.concat(parts), count };
}
