import { invalid } from '../errors.js';

// Lexical host-path rules (upstream validators.py: ensure_valid_host_path), Linux only: berth runs its
// sandboxes on a Linux engine, so a Windows drive path can never be bound and is refused up front.

const CONTROL = /[\u0000-\u001f\u007f]/;
/** Linux's NAME_MAX and PATH_MAX: a longer path can never be bound, only fail later as ENAMETOOLONG. */
const MAX_COMPONENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;

export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** Allowed iff the path equals a prefix or lies under prefix + '/'. An empty allowlist allows nothing. */
export function isUnderPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((raw) => {
    const p = normalizePrefix(raw);
    return path === p || path.startsWith(p === '/' ? '/' : `${p}/`);
  });
}

export function notAllowed(path: string, prefixes: readonly string[]) {
  return invalid(
    'VOLUME::HOST_PATH_NOT_ALLOWED',
    prefixes.length === 0
      ? `Host path '${path}' is not allowed: this server allows no host paths (allowedHostPaths is empty).`
      : `Host path '${path}' is not under any allowed prefix. Allowed prefixes: [${prefixes.join(', ')}]`,
  );
}

export function checkHostPath(path: string, allowed: readonly string[]): void {
  if (!path) throw invalid('VOLUME::INVALID_HOST_PATH', 'Host path cannot be empty.');
  if (!path.startsWith('/')) throw invalid('VOLUME::INVALID_HOST_PATH', `Host path '${path}' must be an absolute path starting with '/'.`);
  const parts = path.split('/').slice(1);
  if (parts.includes('..')) throw invalid('VOLUME::INVALID_HOST_PATH', `Host path '${path}' contains path traversal component '..'.`);
  if (path !== '/' && parts.some((p) => p === '' || p === '.'))
    throw invalid('VOLUME::INVALID_HOST_PATH', `Host path '${path}' is not normalized. Remove redundant slashes and '.' components.`);
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES)
    throw invalid('VOLUME::INVALID_HOST_PATH', `Host path is longer than ${MAX_PATH_BYTES} bytes (starts '${path.slice(0, 64)}...').`);
  if (parts.some((p) => Buffer.byteLength(p, 'utf8') > MAX_COMPONENT_BYTES))
    throw invalid('VOLUME::INVALID_HOST_PATH', `Host path '${path.slice(0, 300)}' has a component longer than ${MAX_COMPONENT_BYTES} bytes.`);
  // ':' would end the source part of Docker's source:target:mode bind string.
  if (path.includes(':') || CONTROL.test(path))
    throw invalid('VOLUME::INVALID_HOST_PATH', `Host path '${JSON.stringify(path).slice(1, -1)}' must not contain ':' or control characters.`);
  if (!isUnderPrefix(path, allowed)) throw notAllowed(path, allowed);
}
