import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type CodeOf } from '../../src/domain/error-codes.js';
import { DomainError, type ErrorKind } from '../../src/domain/errors.js';
import '../../src/http/context.js';
import {
  describeUnexpected,
  errorResponses,
  handleError,
  handleNotFound,
  INVALID_REQUEST_CODE,
  STATUS_BY_KIND,
  validationHook,
} from '../../src/http/errors.js';
import { describeIssues, fieldName } from '../../src/http/issues.js';
import { RecordingLogger } from '../fakes/recording-logger.js';

function appThrowing(err: unknown, log = new RecordingLogger()) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use('*', async (c, next) => {
    c.set('requestId', 'rid');
    await next();
  });
  app.onError(handleError(log));
  app.notFound(handleNotFound);
  app.get('/boom', () => {
    throw err;
  });
  return { app, log };
}

/** Some registered code that may be raised with this kind. */
function codeOfKind<K extends ErrorKind>(kind: K): CodeOf<K> {
  const found = Object.entries(ERROR_CODES).find(([, e]) => (e.kinds as readonly ErrorKind[]).includes(kind));
  if (!found) throw new Error(`no code of kind ${kind}`);
  return found[0] as CodeOf<K>;
}

describe('the error table', () => {
  it.each<[ErrorKind, number]>([
    ['invalid', 400],
    ['unauthenticated', 401],
    ['not_found', 404],
    ['request_timeout', 408],
    ['conflict', 409],
    ['too_large', 413],
    ['unsupported_media', 415],
    ['unsatisfiable_range', 416],
    ['headers_too_large', 431],
    ['runtime', 500],
    ['not_implemented', 501],
    ['upstream', 502],
    ['unavailable', 503],
  ])('%s -> %i, body {code, message} verbatim', async (kind, status) => {
    expect(STATUS_BY_KIND[kind]).toBe(status);
    const code = codeOfKind(kind);
    const { app } = appThrowing(new DomainError(kind, code, 'a message'));
    const res = await app.request('/boom');
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ code, message: 'a message' });
  });

  it("documents the statuses of a route's codes, plus 400, 401 and 500 always, each naming its codes", () => {
    const doc = errorResponses('DOCKER::SANDBOX_NOT_FOUND', 'DOCKER::INVALID_EXPIRATION');
    expect(Object.keys(doc).map(Number)).toEqual([400, 401, 404, 409, 500]);
    expect(doc[404]!.description).toContain('`DOCKER::SANDBOX_NOT_FOUND`: ');
    // a code raised with two kinds is listed under both statuses
    expect(doc[400]!.description).toContain('`DOCKER::INVALID_EXPIRATION`');
    expect(doc[409]!.description).toContain('`DOCKER::INVALID_EXPIRATION`');
    expect(doc[401]!.description).toContain('`MISSING_API_KEY`');
    expect(Object.keys(errorResponses()).map(Number)).toEqual([400, 401, 500]);
  });

  it('maps hono HTTPExceptions below 500 to {code, message}', async () => {
    const bad = await appThrowing(new HTTPException(400, { message: 'Malformed JSON in request body' })).app.request('/boom');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: INVALID_REQUEST_CODE, message: 'Malformed JSON in request body' });
    const media = await appThrowing(new HTTPException(415, { message: 'Unsupported Media Type' })).app.request('/boom');
    expect(await media.json()).toEqual({ code: 'GENERAL::UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Media Type' });
  });

  it('answers anything else with a generic 500 and logs it without the query parameters', async () => {
    const err = Object.assign(new Error('Failed query: insert into sandboxes values ($1)\nparams: SECRET_ENV_VALUE'), {
      query: 'insert into sandboxes values ($1)',
      params: ['SECRET_ENV_VALUE'],
      cause: Object.assign(new Error('duplicate key'), { code: '23505' }),
    });
    const { app, log } = appThrowing(err);
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 'GENERAL::UNKNOWN_ERROR', message: 'An unexpected error occurred.' });
    const [line] = log.find('unhandled error');
    expect(line).toMatchObject({ requestId: 'rid', err: { message: 'Failed query: insert into sandboxes values ($1)', cause: { code: '23505' } } });
    expect(JSON.stringify(line)).not.toContain('SECRET_ENV_VALUE');
    expect(String((line!.err as { stack: string }).stack)).toMatch(/^\s+at /);
  });

  it('describes non-Error throwables too', () => {
    expect(describeUnexpected('boom')).toEqual({ value: 'boom' });
  });

  it('answers unknown routes 404 GENERAL::NOT_FOUND', async () => {
    const res = await appThrowing(null).app.request('/nope', { method: 'PUT' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'GENERAL::NOT_FOUND', message: 'No route for PUT /nope.' });
  });

  it('the defaultHook turns a zod failure into 400 naming the fields', async () => {
    const app = new OpenAPIHono({ defaultHook: validationHook });
    const route = createRoute({
      method: 'post',
      path: '/x',
      request: { body: { required: true, content: { 'application/json': { schema: z.object({ n: z.number().min(60), list: z.array(z.string()).min(1) }) } } } },
      responses: { 200: { description: 'ok' } },
    });
    app.openapi(route, (c) => c.json({ ok: true }, 200));
    const res = await app.request('/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 5, "list": []}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: INVALID_REQUEST_CODE, message: 'n: must be >= 60; list: must have at least 1 item(s)' });
  });
});

describe('describeIssues', () => {
  const schema = z.object({
    timeout: z.number().int().min(60).max(100).optional(),
    name: z.string().min(2).max(3).optional(),
    kind: z.enum(['a', 'b']).optional(),
    when: z.iso.datetime().optional(),
    tags: z.array(z.string()).max(1).optional(),
    meta: z.record(z.string(), z.string()).optional(),
    platform: z.union([z.object({ os: z.string() }), z.null()]).optional(),
    req: z.string(),
  });
  const msg = (input: unknown) => describeIssues(schema.safeParse(input).error!.issues, 'json');

  it.each([
    [{ req: 'x', timeout: 5 }, 'timeout: must be >= 60'],
    [{ req: 'x', timeout: 500 }, 'timeout: must be <= 100'],
    [{ req: 'x', timeout: 60.5 }, 'timeout: must be an integer'],
    [{ req: 'x', timeout: 'x' }, 'timeout: expected number, got string'],
    [{ req: 'x', name: 'a' }, 'name: must be at least 2 character(s)'],
    [{ req: 'x', name: 'abcd' }, 'name: must be at most 3 character(s)'],
    [{ req: 'x', kind: 'c' }, 'kind: must be one of "a", "b"'],
    [{ req: 'x', when: 'yesterday' }, 'when: must be an RFC 3339 date-time, e.g. 2030-01-01T00:00:00Z'],
    [{ req: 'x', tags: ['a', 'b'] }, 'tags: must have at most 1 item(s)'],
    [{ req: 'x', meta: { 'a.example.com/b': 1 } }, 'meta["a.example.com/b"]: expected string, got number'],
    [{ req: 'x', platform: { os: 1 } }, 'platform.os: expected string, got number'],
    [{}, 'req: is required'],
  ])('%j -> %s', (input, expected) => {
    expect(msg(input)).toBe(expected);
  });

  it('lists at most three issues', () => {
    const many = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string() });
    expect(describeIssues(many.safeParse({}).error!.issues, 'json')).toBe('a: is required; b: is required; c: is required; and 2 more');
  });

  it('names the whole body "body" and array elements by index', () => {
    expect(fieldName([], 'json')).toBe('body');
    expect(fieldName([], 'query')).toBe('query');
    expect(fieldName(['volumes', 0, 'pvc', 'claimName'])).toBe('volumes[0].pvc.claimName');
  });
});
