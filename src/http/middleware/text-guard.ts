import type { Context, MiddlewareHandler } from 'hono';
import type { ErrorCode } from '../../domain/error-codes.js';
import { errorJson } from '../errors.js';

/**
 * Text Postgres cannot store, refused before any handler sees it: a NUL (`%00` in the URL, `\u0000` in a
 * JSON string) makes Postgres fail the whole statement (a 500 for a client mistake), and a lone UTF-16
 * surrogate cannot be encoded as UTF-8 at all (silently replaced, or refused, depending on the driver).
 * Checked on the URL as sent (a NUL can only arrive percent-encoded) and on the parsed JSON body, keys
 * included; a body that is not JSON is left to the route, which answers its own "malformed" error.
 * Never mount this where bodies are opaque (file uploads, the server proxy): they may carry any bytes.
 */
export function refuseUnstorableText(code: ErrorCode, opts: { body: boolean }): MiddlewareHandler {
  return async (c, next) => {
    if (/%00|\0/.test(rawPathAndQuery(c.req.url))) return errorJson(c, 400, code, 'The request path or query contains a NUL character.');
    if (opts.body && hasBody(c)) {
      const problem = textProblem(parseOrUndefined(await c.req.text()));
      if (problem) return errorJson(c, 400, code, problem);
    }
    return next();
  };
}

/** The first string or key of a parsed JSON value that is not storable text, described; null when all are. */
export function textProblem(value: unknown): string | null {
  // Iterative: a 1 MiB body of `[[[[...` nests deeper than the call stack goes.
  const stack: Array<[unknown, string]> = [[value, 'body']];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      const p = stringProblem(v);
      if (p) return `${at}: ${p}`;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${at}[${i}]`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const p = stringProblem(k);
        if (p) return `${at}: a key ${p}`;
        stack.push([item, `${at}.${k}`]);
      }
    }
  }
  return null;
}

/** String.prototype.isWellFormed is in Node 20 but typed only by lib ES2024, beyond this project's target. */
type WellFormed = string & { isWellFormed(): boolean };

function stringProblem(s: string): string | null {
  if (s.includes('\0')) return 'must not contain a NUL character';
  if (!(s as WellFormed).isWellFormed()) return 'must be well-formed text (no lone UTF-16 surrogates)';
  return null;
}

/** The URL's path and query exactly as sent; `new URL` keeps percent-escapes, so `%00` is still visible. */
function rawPathAndQuery(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

const hasBody = (c: Context) => c.req.method !== 'GET' && c.req.method !== 'HEAD' && !/^multipart\//i.test(c.req.header('content-type') ?? '');

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
