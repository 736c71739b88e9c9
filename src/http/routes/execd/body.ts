import type { Context } from 'hono';
import { z } from 'zod';
import { invalid } from '../../../domain/errors.js';
import { MAX_TIMEOUT_MS } from '../../../domain/execd/commands/types.js';

/**
 * An execd JSON body through a zod schema. Anything wrong (not JSON, wrong shape) is upstream's
 * 400 INVALID_REQUEST_BODY, named by the first offending field, before anything runs or streams.
 */
export async function readBody<S extends z.ZodType>(c: Context, schema: S, opts: { optional?: boolean } = {}): Promise<z.infer<S>> {
  const text = await c.req.text();
  if (text.trim() === '' && opts.optional) return schema.parse({});
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('INVALID_REQUEST_BODY', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw invalid('INVALID_REQUEST_BODY', `${where}: ${issue.message}`);
  }
  return parsed.data;
}

/** A query parameter that must be there (upstream: 400 MISSING_QUERY). */
export function requiredQuery(c: Context, name: string): string {
  const v = c.req.query(name);
  if (v === undefined || v === '') throw invalid('MISSING_QUERY', `The query parameter '${name}' is required.`);
  return v;
}

/** JSON null means "not given", as the SDKs send it. */
export const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

/** A command's timeout in milliseconds (0 = none), as the SDK sends it: round(timeoutSeconds * 1000). */
export const timeoutMs = opt(z.number().int().min(0).max(MAX_TIMEOUT_MS));
