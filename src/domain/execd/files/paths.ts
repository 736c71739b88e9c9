import { invalid } from '../../errors.js';
import type { CodeOf } from '../../error-codes.js';

/**
 * A sandbox path as berth takes it: literally. No `$VAR` or `~` expansion (upstream expands them from execd's
 * own environment, which makes a file named `a$HOME` unreachable); relative paths are relative to `/`
 * (berth has no working directory to be relative to); `..` is resolved lexically. Symlinks are the
 * engine's business: it resolves them inside the sandbox root.
 */
const NAME_MAX = 255;
const PATH_MAX = 4096;

export function sandboxPath(raw: unknown, field = 'path', code: CodeOf<'invalid'> = 'INVALID_REQUEST_BODY'): string {
  if (typeof raw !== 'string' || raw === '') throw invalid(code, `${field} must be a non-empty string.`);
  if (raw.includes('\0')) throw invalid(code, `${field} must not contain a NUL byte.`);
  // A lone UTF-16 surrogate has no UTF-8 form: the engine's archive API could not be asked about the path
  // (encodeURIComponent throws). Upload metadata is JSON the text guard never sees, so it is checked here.
  if (!(raw as string & { isWellFormed(): boolean }).isWellFormed()) throw invalid(code, `${field} must be well-formed text (no lone UTF-16 surrogates).`);
  const out: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    // Linux's NAME_MAX and PATH_MAX: the engine answers a longer name with a bare 500 (ENAMETOOLONG)
    if (Buffer.byteLength(part) > NAME_MAX) throw invalid(code, `${field} has a name longer than ${NAME_MAX} bytes.`);
    if (part === '..') out.pop();
    else out.push(part);
  }
  const path = `/${out.join('/')}`;
  if (Buffer.byteLength(path) >= PATH_MAX) throw invalid(code, `${field} is longer than ${PATH_MAX - 1} bytes.`);
  return path;
}

export const parentOf = (path: string): string => (path === '/' ? '/' : path.slice(0, path.lastIndexOf('/')) || '/');

export const baseOf = (path: string): string => (path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1));

/** `path` below `ancestor`, without a leading slash ('' when they are the same). */
export function relativeTo(ancestor: string, path: string): string {
  if (ancestor === path) return '';
  return ancestor === '/' ? path.slice(1) : path.slice(ancestor.length + 1);
}

/** `child` joined onto `dir` (both already normalised, `child` relative). */
export const joinPath = (dir: string, child: string): string => (child === '' ? dir : dir === '/' ? `/${child}` : `${dir}/${child}`);

/**
 * Modes travel as decimal numbers whose digits are the octal mode (644 means 0o644), in requests and answers.
 * Anything that is not such a number (a digit 8 or 9, more than four digits, a fraction) is refused.
 */
export function modeFromWire(value: unknown, field = 'mode'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || !/^[0-7]{1,4}$/.test(String(value))) {
    throw invalid('INVALID_REQUEST_BODY', `${field} must be an octal mode written as a decimal number, e.g. 644 or 755.`);
  }
  return parseInt(String(value), 8);
}

/** The 9 permission bits as upstream answers them: 0o644 → 644. */
export const modeToWire = (mode: number): number => Number((mode & 0o777).toString(8));
