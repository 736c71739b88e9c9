import type { Context } from 'hono';

// Per-request values every route group may read. Declared on Hono's global ContextVariableMap (not as a
// generic Env) so route files written by different people all take a plain `OpenAPIHono` and still see them.
declare module 'hono' {
  interface ContextVariableMap {
    /** X-Request-ID: the client's (trimmed) or 32 generated hex chars */
    requestId: string;
    /** the `code` of the error body this request answered with, for the access log */
    errorCode: string;
  }
}

/** Who caused a change, as recorded in events: the API request that asked for it. */
export function actorOf(c: Context): string {
  return `api:${c.get('requestId')}`;
}
