/**
 * Query numbers on dashboard pages. A browser user who edits a URL by hand gets the nearest sensible page,
 * not an error page: digits only (no 0x10, 1e3), then clamped.
 */
export function intParam(text: string | undefined, dflt: number, min: number, max: number): number {
  if (text === undefined || !/^\d{1,9}$/.test(text)) return dflt;
  return Math.min(max, Math.max(min, Number(text)));
}

/** An event sequence number for ?after=, or undefined (the stream then starts at the head). */
export function seqParam(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** A route's `:name` parameter. The dashboard builds its paths at run time, so Hono cannot type them. */
export const pathParam = (c: { req: { param: (name: string) => string | undefined } }, name = 'id') => c.req.param(name) ?? '';
