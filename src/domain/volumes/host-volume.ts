import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { invalid, runtimeFailure } from '../errors.js';
import { isUnderPrefix, normalizePrefix, notAllowed } from './host-path-rules.js';

/**
 * The file-system half of a host volume (upstream volumes.py: _validate_host_volume): the path with its
 * subPath, resolved through every symlink, must still be under a resolved allowlist prefix. prepare only
 * reads; materialize creates the directory and checks again, so a link swapped in between is caught.
 */

/** realpath of the deepest existing ancestor, plus the components that do not exist yet. */
export async function resolveDeep(path: string): Promise<string> {
  const parts = path.split('/').filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    const head = `/${parts.slice(0, i).join('/')}`;
    try {
      await lstat(head);
    } catch (err) {
      // ENOTDIR: something above is a regular file; the walk up finds it and refuses it below.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw err;
    }
    // lstat succeeds on a dangling link while realpath fails: refuse it rather than guess, since creating
    // the missing directories would follow the link to wherever it points.
    const real = await realpath(head).catch(() => null);
    if (real === null) throw new DanglingLink(head);
    // No directory can be made below a file (mkdir fails ENOTDIR): the request's mistake, not the host's.
    if (i < parts.length && !(await stat(real)).isDirectory()) throw new UnderAFile(head, real);
    return posix.join(real, ...parts.slice(i));
  }
  return path;
}

class DanglingLink extends Error {}
class UnderAFile extends Error {
  constructor(
    readonly head: string,
    readonly real: string,
  ) {
    super(head);
  }
}

async function realPrefixes(prefixes: readonly string[]): Promise<string[]> {
  return Promise.all(prefixes.map(async (p) => normalizePrefix(await resolveDeep(normalizePrefix(p)).catch(() => normalizePrefix(p)))));
}

export type ResolvedHost = { requested: string; real: string; isFile: boolean };

export async function resolveHostVolume(path: string, subPath: string | null, allowed: readonly string[]): Promise<ResolvedHost> {
  const requested = subPath ? posix.normalize(posix.join(path, subPath)) : path;
  if (subPath && !isUnderPrefix(requested, allowed)) throw notAllowed(requested, allowed);
  let real: string;
  try {
    real = await resolveDeep(requested);
  } catch (err) {
    if (err instanceof DanglingLink) throw invalid('VOLUME::HOST_PATH_NOT_ALLOWED', `Host path '${requested}' goes through a dangling symbolic link.`);
    if (err instanceof UnderAFile) {
      // Said only of a file inside the allowlist: what lies outside it (through a link) is not described.
      if (!isUnderPrefix(err.real, await realPrefixes(allowed)))
        throw invalid('VOLUME::HOST_PATH_NOT_ALLOWED', `Host path '${requested}' resolves to a path that is not under any allowed prefix.`);
      throw invalid('VOLUME::INVALID_HOST_PATH', `Host path '${requested}' goes through '${err.head}', which is not a directory.`);
    }
    throw runtimeFailure('VOLUME::HOST_PATH_CREATE_FAILED', `Host path '${requested}' could not be resolved.`);
  }
  if (!isUnderPrefix(real, await realPrefixes(allowed)))
    throw invalid('VOLUME::HOST_PATH_NOT_ALLOWED', `Host path '${requested}' resolves to '${real}', which is not under any allowed prefix.`);
  const st = await stat(real).catch(() => null);
  return { requested, real, isFile: st?.isFile() ?? false };
}

/** Create the directory (upstream auto-creates it) and resolve once more before it is bound. */
export async function materializeHostVolume(path: string, subPath: string | null, allowed: readonly string[]): Promise<string> {
  const first = await resolveHostVolume(path, subPath, allowed);
  if (!first.isFile) {
    try {
      await mkdir(first.real, { recursive: true, mode: 0o755 });
    } catch {
      throw runtimeFailure('VOLUME::HOST_PATH_CREATE_FAILED', `Failed to create host path '${first.requested}'.`);
    }
  }
  const again = await resolveHostVolume(path, subPath, allowed);
  if (again.real !== first.real) throw invalid('VOLUME::HOST_PATH_NOT_ALLOWED', `Host path '${first.requested}' changed while it was being prepared.`);
  return again.real;
}
