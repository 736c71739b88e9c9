import type { Deps } from '../../deps.js';
import { invalid } from '../../errors.js';
import { globMatcher } from './glob.js';
import { infoFromHeader, type FileInfo } from './file-info.js';
import { baseOf } from './paths.js';
import { walkDirectory } from './walk.js';

type FileDeps = Pick<Deps, 'db' | 'config' | 'exec'>;

/** GET /directories/list: entries up to `depth` levels below the directory (default 1; 0 lists nothing). */
export async function listDirectory(deps: FileDeps, sandboxId: string, path: string | undefined, depthRaw: string | undefined): Promise<FileInfo[]> {
  const depth = depthOf(depthRaw);
  const out: FileInfo[] = [];
  await walkDirectory(deps, sandboxId, path, (e, acc) => out.push(infoFromHeader(e.path, e.header, acc)), depth);
  return out;
}

/** GET /files/search: every non-directory entry below the directory whose base name matches the glob (default `**`). */
export async function searchFiles(deps: FileDeps, sandboxId: string, path: string | undefined, pattern: string | undefined): Promise<FileInfo[]> {
  const matches = globMatcher(pattern === undefined || pattern === '' ? '**' : pattern);
  const out: FileInfo[] = [];
  await walkDirectory(
    deps,
    sandboxId,
    path,
    (e, acc) => {
      if (e.header.type !== 'directory' && matches(baseOf(e.path))) out.push(infoFromHeader(e.path, e.header, acc));
    },
    Infinity,
    true,
  );
  return out;
}

function depthOf(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  if (!/^\d{1,9}$/.test(raw)) throw invalid('INVALID_REQUEST_BODY', `depth must be a non-negative integer, got '${raw}'.`);
  return Number(raw);
}
