import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { appWithoutDb } from '../helpers/app-without-db.js';

// Our /openapi.json must stay a superset of upstream's lifecycle spec: every path+method we are meant to
// serve, every parameter, and every property of every request and response schema (recursively), and
// every property upstream requires is required here too.
// Upstream's paths are relative to its /v1 server; ours are absolute, so /sandboxes is ours /v1/sandboxes.

const UPSTREAM = new URL('../fixtures/upstream/sandbox-lifecycle.yml', import.meta.url);

/** Upstream operations we deliberately do not serve (all optional in upstream, see DESIGN.md upstream §2). */
const EXCLUDED_PATHS = [
  /^\/pools(\/|$)/, // Kubernetes pools
  /\/diagnostics(\/|$)/, // diagnostics API
  /\/proxy(\/|$)/, // server proxy
];
/** We have no authorization layer, so 403 is never answered and not documented. */
const EXCLUDED_STATUSES = new Set(['403']);
/**
 * Statuses upstream documents that berth never answers on that route: each route documents exactly the
 * codes it can raise (errorResponses in src/http/errors.ts, from the error-code registry), and these have none.
 */
const NEVER_ANSWERED: Record<string, string> = {
  'delete /sandboxes/{sandboxId} 409': 'every live state may be deleted; a second DELETE finishes the first',
  'patch /sandboxes/{sandboxId}/metadata 409': 'the merge is applied under a row lock in any live state',
  'get /snapshots/{snapshotId} 409': 'reading a snapshot never conflicts with its state',
};

const ourPath = (upstreamPath: string) => `/v1${upstreamPath}`;

type Doc = { paths: Record<string, Record<string, any>>; components?: Record<string, Record<string, any>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function resolve(doc: Doc, node: any): any {
  let n = node;
  for (let i = 0; n && typeof n === 'object' && typeof n.$ref === 'string' && i < 10; i++) {
    const parts = (n.$ref as string).replace(/^#\//, '').split('/');
    n = parts.reduce((o: any, k) => o?.[k], doc);
  }
  return n;
}

/** Every property path a schema can carry: a.b, a.items[], m{} (map values), through $ref/anyOf/oneOf/allOf. */
function propertyPaths(doc: Doc, schema: any, prefix = '', seen = new Set<any>()): Set<string> {
  const out = new Set<string>();
  const s = resolve(doc, schema);
  if (!s || typeof s !== 'object' || seen.has(s)) return out;
  const nextSeen = new Set(seen).add(s);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const b of s[key] ?? []) for (const p of propertyPaths(doc, b, prefix, nextSeen)) out.add(p);
  for (const [name, sub] of Object.entries<any>(s.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    out.add(path);
    for (const p of propertyPaths(doc, sub, path, nextSeen)) out.add(p);
  }
  if (s.items) for (const p of propertyPaths(doc, s.items, `${prefix}[]`, nextSeen)) out.add(p);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    for (const p of propertyPaths(doc, s.additionalProperties, `${prefix}{}`, nextSeen)) out.add(p);
  return out;
}

/** Every property path a schema requires (a.b: b is required once a is there), through the same branches. */
function requiredPaths(doc: Doc, schema: any, prefix = '', seen = new Set<any>()): Set<string> {
  const out = new Set<string>();
  const s = resolve(doc, schema);
  if (!s || typeof s !== 'object' || seen.has(s)) return out;
  const nextSeen = new Set(seen).add(s);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const b of s[key] ?? []) for (const p of requiredPaths(doc, b, prefix, nextSeen)) out.add(p);
  for (const name of s.required ?? []) out.add(prefix ? `${prefix}.${name}` : name);
  for (const [name, sub] of Object.entries<any>(s.properties ?? {}))
    for (const p of requiredPaths(doc, sub, prefix ? `${prefix}.${name}` : name, nextSeen)) out.add(p);
  if (s.items) for (const p of requiredPaths(doc, s.items, `${prefix}[]`, nextSeen)) out.add(p);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    for (const p of requiredPaths(doc, s.additionalProperties, `${prefix}{}`, nextSeen)) out.add(p);
  return out;
}

const jsonSchemaOf = (doc: Doc, node: any) => resolve(doc, resolve(doc, node)?.content?.['application/json']?.schema);

function operations(doc: Doc) {
  const ops: Array<{ path: string; method: string; op: any; pathParams: any[] }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) ops.push({ path, method, op: item[method], pathParams: item.parameters ?? [] });
  }
  return ops;
}

describe('our OpenAPI document vs upstream specs/sandbox-lifecycle.yml', () => {
  let ours: Doc;
  let upstream: Doc;
  let served: ReturnType<typeof operations>;

  beforeAll(async () => {
    upstream = parse(readFileSync(UPSTREAM, 'utf8')) as Doc;
    const res = await appWithoutDb('openapi-test').request('/openapi.json');
    expect(res.status).toBe(200);
    ours = (await res.json()) as Doc;
    served = operations(upstream).filter(({ path }) => !EXCLUDED_PATHS.some((re) => re.test(path)));
  });

  it('is OpenAPI 3.1 with the API key scheme, like upstream', () => {
    expect((ours as any).openapi).toBe('3.1.0');
    expect((ours as any).security).toEqual([{ apiKeyAuth: [] }]);
    expect(ours.components?.securitySchemes?.apiKeyAuth).toEqual({ type: 'apiKey', in: 'header', name: 'OPEN-SANDBOX-API-KEY' });
  });

  it('excludes only what it says it excludes', () => {
    const excluded = operations(upstream)
      .filter(({ path }) => EXCLUDED_PATHS.some((re) => re.test(path)))
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(excluded.sort()).toEqual([]);
    expect(served.length).toBe(13);
  });

  it('lists each lifecycle route once, under /v1 (the root copies are served, not documented)', () => {
    expect(Object.keys(ours.paths).filter((p) => p.startsWith('/sandboxes'))).toEqual([]);
    expect(ours.paths['/v1/metrics/events']?.post).toBeDefined();
  });

  it('has every served upstream path and method', () => {
    const missing = served.filter(({ path, method }) => !ours.paths[ourPath(path)]?.[method]).map(({ path, method }) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('has every upstream parameter (name and location)', () => {
    const missing: string[] = [];
    for (const { path, method, op, pathParams } of served) {
      const mine = (ours.paths[ourPath(path)]?.[method]?.parameters ?? []).map((p: any) => resolve(ours, p)).map((p: any) => `${p.in}:${p.name}`);
      for (const p of [...pathParams, ...(op.parameters ?? [])].map((x: any) => resolve(upstream, x))) {
        if (!mine.includes(`${p.in}:${p.name}`)) missing.push(`${method} ${path} ${p.in}:${p.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has every property of every upstream request body', () => {
    const missing: string[] = [];
    for (const { path, method, op } of served) {
      if (!op.requestBody) continue;
      const theirs = propertyPaths(upstream, jsonSchemaOf(upstream, op.requestBody));
      const mineBody = ours.paths[ourPath(path)]?.[method]?.requestBody;
      expect(mineBody, `${method} ${path} request body`).toBeDefined();
      const mine = propertyPaths(ours, jsonSchemaOf(ours, mineBody));
      for (const p of theirs) if (!mine.has(p)) missing.push(`${method} ${path} body ${p}`);
      // a map body (PATCH metadata) has no properties: compare the value type instead
      const theirSchema = jsonSchemaOf(upstream, op.requestBody);
      if (theirSchema?.additionalProperties) expect(jsonSchemaOf(ours, mineBody)?.additionalProperties, `${method} ${path}`).toBeTruthy();
    }
    expect(missing).toEqual([]);
  });

  it('requires every property upstream requires, in request and response bodies', () => {
    const missing: string[] = [];
    for (const { path, method, op } of served) {
      const mine = ours.paths[ourPath(path)]?.[method];
      const pairs: Array<[string, any, any]> = [];
      if (op.requestBody) pairs.push(['body', op.requestBody, mine?.requestBody]);
      for (const [status, response] of Object.entries<any>(op.responses))
        if (!EXCLUDED_STATUSES.has(status)) pairs.push([status, response, mine?.responses?.[status]]);
      for (const [where, theirs, ours_] of pairs) {
        if (!ours_) continue; // a missing status is the next test's finding
        const required = requiredPaths(ours, jsonSchemaOf(ours, ours_));
        for (const p of requiredPaths(upstream, jsonSchemaOf(upstream, theirs))) if (!required.has(p)) missing.push(`${method} ${path} ${where} ${p}`);
      }
      // a request body upstream requires is required here too
      if (op.requestBody?.required === true && mine?.requestBody?.required !== true) missing.push(`${method} ${path} body itself`);
    }
    expect(missing).toEqual([]);
  });

  it('requires resourceLimits on create, as upstream requires it of a standard (non-pool) create', () => {
    const create = jsonSchemaOf(ours, ours.paths['/v1/sandboxes']!.post.requestBody);
    expect(create.required).toContain('resourceLimits');
    // upstream says so in prose only (its schema lists no required fields): keep the two in step
    expect(resolve(upstream, upstream.components!.schemas!.CreateSandboxRequest).description).toMatch(/`resourceLimits` is required/);
  });

  it('has every upstream response status (but 403 and NEVER_ANSWERED) and every property of each response body', () => {
    const missing: string[] = [];
    for (const { path, method, op } of served) {
      const mineResponses = ours.paths[ourPath(path)]?.[method]?.responses ?? {};
      for (const [status, response] of Object.entries<any>(op.responses)) {
        if (EXCLUDED_STATUSES.has(status)) continue;
        if (NEVER_ANSWERED[`${method} ${path} ${status}`]) {
          expect(mineResponses[status], `${method} ${path} ${status} is documented: drop it from NEVER_ANSWERED`).toBeUndefined();
          continue;
        }
        if (!mineResponses[status]) {
          missing.push(`${method} ${path} ${status}`);
          continue;
        }
        const theirs = propertyPaths(upstream, jsonSchemaOf(upstream, response));
        const mine = propertyPaths(ours, jsonSchemaOf(ours, mineResponses[status]));
        for (const p of theirs) if (!mine.has(p)) missing.push(`${method} ${path} ${status} ${p}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents the endpoint port as an integer 1..65535 and the list query like upstream', () => {
    const ep = ours.paths['/v1/sandboxes/{sandboxId}/endpoints/{port}']!.get;
    const port = ep.parameters.find((p: any) => p.name === 'port');
    expect(port.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    const list = ours.paths['/v1/sandboxes']!.get.parameters;
    expect(list.find((p: any) => p.name === 'state')).toMatchObject({ in: 'query', style: 'form', explode: true, schema: { type: 'array' } });
    expect(list.find((p: any) => p.name === 'pageSize').schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 20 });
  });
});
