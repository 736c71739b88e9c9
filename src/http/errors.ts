import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_CODES, type ErrorCode } from '../domain/error-codes.js';
import type { ErrorKind } from '../domain/errors.js';
import type { Logger } from '../domain/ports.js';
import { knownError } from '../domain/outage.js';
import { describeIssues, type Issue } from './issues.js';

/** THE table: a domain error's kind decides its HTTP status. onError and the OpenAPI document both read it. */
export const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unsatisfiable_range: 416,
  headers_too_large: 431,
  runtime: 500,
  not_implemented: 501,
  upstream: 502,
  unavailable: 503,
};

/**
 * The code of a request that fails its schema (a wrong type, a missing field, an out-of-range number,
 * a body that is not JSON). Upstream answers these 422 without a code (FastAPI's default); we answer 400
 * with upstream's own code for a bad request parameter, so clients that branch on it see one code.
 */
export const INVALID_REQUEST_CODE: ErrorCode = 'SANDBOX::INVALID_PARAMETER';
export const UNKNOWN_ERROR = { code: 'GENERAL::UNKNOWN_ERROR', message: 'An unexpected error occurred.' } as const satisfies {
  code: ErrorCode;
  message: string;
};

/** Framework-level failures that are not DomainErrors (hono's HTTPException), by status. */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: INVALID_REQUEST_CODE,
  413: 'GENERAL::PAYLOAD_TOO_LARGE',
  415: 'GENERAL::UNSUPPORTED_MEDIA_TYPE',
};

export const ErrorResponse = z
  .object({
    code: z.string().openapi({ description: "Machine-readable error code, upstream's where one exists (e.g. DOCKER::SANDBOX_NOT_FOUND)." }),
    message: z.string().openapi({ description: 'Human-readable description of what went wrong.' }),
  })
  .openapi('ErrorResponse', { description: 'The body of every non-2xx response.' });

/** Every error body goes through here, so the access log can name the code. */
export function errorJson(c: Context, status: ContentfulStatusCode, code: ErrorCode, message: string): Response {
  c.set('errorCode', code);
  return c.json({ code, message }, status);
}

export function handleError(log: Logger): ErrorHandler {
  return (err, c) => {
    const known = knownError(err); // a DomainError, or a lost database connection (503 DATABASE::UNAVAILABLE)
    if (known) return errorJson(c, STATUS_BY_KIND[known.kind], known.code, known.message);
    if (err instanceof HTTPException && err.status < 500) {
      const code = HTTP_EXCEPTION_CODES[err.status] ?? UNKNOWN_ERROR.code;
      return errorJson(c, err.status as ContentfulStatusCode, code, err.message || UNKNOWN_ERROR.message);
    }
    // Never err.message to the client: a drizzle error's message carries the SQL and its parameters.
    log.error({ requestId: c.get('requestId'), err: describeUnexpected(err) }, 'unhandled error');
    return errorJson(c, 500, UNKNOWN_ERROR.code, UNKNOWN_ERROR.message);
  };
}

export const handleNotFound: NotFoundHandler = (c) => errorJson(c, 404, 'GENERAL::NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);

/** OpenAPIHono's defaultHook: a failed zod parse becomes 400 {code, message} naming the field(s). */
export function validationHook(result: { success: boolean; target: string; error?: { issues: readonly Issue[] } }, c: Context) {
  if (result.success || !result.error) return undefined;
  return errorJson(c, 400, INVALID_REQUEST_CODE, describeIssues(result.error.issues, result.target));
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request was invalid or malformed',
  401: 'Authentication credentials are missing or invalid',
  404: 'The requested resource does not exist',
  409: 'The operation conflicts with the current state',
  413: 'The request body is too large',
  415: 'The request body has an unsupported content type',
  416: 'The requested range is not satisfiable',
  408: 'The request did not arrive in time',
  431: 'The request headers are too large',
  500: 'An unexpected server error occurred',
  501: 'The operation is not implemented by this server',
  502: 'The sandbox port behind the server proxy could not be reached',
  503: 'A dependency (the database or the container engine) is unavailable',
};

export const requestIdHeader = {
  'X-Request-ID': { description: "The request's X-Request-ID, echoed or generated", schema: { type: 'string' as const } },
};

/** What every route can answer whatever it does: a missing or wrong key, and the unexpected */
// (and a NUL in the URL or a bad parameter: every route's path and query go through the same checks)
const ALWAYS: readonly ErrorCode[] = ['SANDBOX::INVALID_PARAMETER', 'MISSING_API_KEY', 'INVALID_API_KEY', 'GENERAL::UNKNOWN_ERROR'];

/**
 * The error responses of a route for the OpenAPI document, from the codes it can raise: each status the
 * registry gives those codes, described with the codes and their meanings. 401 and 500 are always listed.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...ALWAYS, ...codes]) {
    for (const kind of ERROR_CODES[code].kinds) {
      const status = STATUS_BY_KIND[kind];
      const list = byStatus.get(status) ?? [];
      if (!list.includes(code)) list.push(code);
      byStatus.set(status, list);
    }
  }
  const out: Record<number, { description: string; headers: typeof requestIdHeader; content: { 'application/json': { schema: typeof ErrorResponse } } }> = {};
  for (const status of [...byStatus.keys()].sort()) {
    const lines = byStatus.get(status)!.map((code) => `\`${code}\`: ${ERROR_CODES[code].meaning}`);
    out[status] = {
      description: `${DESCRIPTIONS[status] ?? 'Error'}.\n\n${lines.join('\n\n')}`,
      headers: requestIdHeader,
      content: { 'application/json': { schema: ErrorResponse } },
    };
  }
  return out;
}

/**
 * What an unexpected error may put in the log: no message of a failed query (it embeds the parameters,
 * and a create's parameters hold the user's env values), and stack frames without the message line.
 */
export function describeUnexpected(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err).slice(0, 200) };
  const e = err as Error & { query?: unknown; params?: unknown; cause?: unknown; code?: unknown };
  const isQueryError = typeof e.query === 'string' && 'params' in e;
  const frames = (e.stack ?? '')
    .split('\n')
    .filter((l) => l.trimStart().startsWith('at '))
    .join('\n');
  const cause = e.cause as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  return {
    name: e.name,
    message: isQueryError ? `Failed query: ${e.query as string}` : e.message,
    code: e.code,
    cause: cause && typeof cause === 'object' ? { name: cause.name, code: cause.code, message: cause.message } : undefined,
    stack: frames,
  };
}
