import { beforeAll, describe, expect, it } from 'vitest';
import { UPSTREAM_LIFECYCLE, type UpstreamOperation } from '../fixtures/upstream/lifecycle-facts.js';
import { appWithoutDb } from '../helpers/app-without-db.js';
import { bodyFacts, jsonSchemaOf, parametersOf, resolve, type OpenApiDoc } from '../helpers/openapi-walk.js';

// Our /openapi.json must stay a superset of upstream's lifecycle API: every path+method we are meant to
// serve, every parameter, and every property of every request and response schema (recursively), and
// every property upstream requires is required here too. What upstream's API is comes from facts kept in
// the repository (test/fixtures/upstream/lifecycle-facts.ts, which names the upstream file and commit they
// were read from), so the suite needs nothing outside it.
// Upstream's paths are relative to its /v1 server; ours are absolute, so /sandboxes is ours /v1/sandboxes.

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
const upstream = UPSTREAM_LIFECYCLE;

describe('our OpenAPI document vs upstream specs/sandbox-lifecycle.yml (as facts in the repository)', () => {
  let ours: OpenApiDoc;
  const served: UpstreamOperation[] = upstream.operations.filter(({ path }) => !EXCLUDED_PATHS.some((re) => re.test(path)));
  const mineOf = (o: UpstreamOperation) => ours.paths[ourPath(o.path)]?.[o.method];

  beforeAll(async () => {
    const res = await appWithoutDb('openapi-test').request('/openapi.json');
    expect(res.status).toBe(200);
    ours = (await res.json()) as OpenApiDoc;
  });

  it('is OpenAPI 3.1 with the API key scheme, like upstream', () => {
    expect((ours as any).openapi).toBe(upstream.openapi);
    expect((ours as any).security).toEqual([{ apiKeyAuth: [] }]);
    expect(ours.components?.securitySchemes?.apiKeyAuth).toEqual({ type: 'apiKey', ...upstream.apiKey });
  });

  it('excludes only what it says it excludes', () => {
    const excluded = upstream.operations
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
    const missing = served.filter((o) => !mineOf(o)).map(({ path, method }) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('has every upstream parameter (name and location)', () => {
    const missing: string[] = [];
    for (const o of served) {
      const mine = parametersOf(ours, mineOf(o)).map((p: any) => `${p.in}:${p.name}`);
      for (const p of o.parameters) if (!mine.includes(`${p.in}:${p.name}`)) missing.push(`${o.method} ${o.path} ${p.in}:${p.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('has every property of every upstream request body', () => {
    const missing: string[] = [];
    for (const o of served) {
      if (!o.requestBody) continue;
      const mineBody = mineOf(o)?.requestBody;
      expect(mineBody, `${o.method} ${o.path} request body`).toBeDefined();
      const mine = bodyFacts(ours, mineBody);
      for (const p of o.requestBody.properties) if (!mine.properties.includes(p)) missing.push(`${o.method} ${o.path} body ${p}`);
      // a map body (PATCH metadata) has no properties: compare the value type instead
      if (o.requestBody.map) expect(mine.map, `${o.method} ${o.path}`).toBe(true);
    }
    expect(missing).toEqual([]);
  });

  it('requires every property upstream requires, in request and response bodies', () => {
    const missing: string[] = [];
    for (const o of served) {
      const mine = mineOf(o);
      const pairs: Array<[string, string[], any]> = [];
      if (o.requestBody) pairs.push(['body', o.requestBody.requiredProperties, mine?.requestBody]);
      for (const [status, response] of Object.entries(o.responses))
        if (!EXCLUDED_STATUSES.has(status)) pairs.push([status, response.requiredProperties, mine?.responses?.[status]]);
      for (const [where, theirs, ours_] of pairs) {
        if (!ours_) continue; // a missing status is the next test's finding
        const required = bodyFacts(ours, ours_).requiredProperties;
        for (const p of theirs) if (!required.includes(p)) missing.push(`${o.method} ${o.path} ${where} ${p}`);
      }
      // a request body upstream requires is required here too
      if (o.requestBody?.required && resolve(ours, mine?.requestBody)?.required !== true) missing.push(`${o.method} ${o.path} body itself`);
    }
    expect(missing).toEqual([]);
  });

  it('requires resourceLimits on create, as upstream requires it of a standard (non-pool) create', () => {
    // upstream says so in prose only (its schema lists no required fields): the facts keep that rule
    expect(upstream.createRequiresResourceLimits).toBe(true);
    const create = jsonSchemaOf(ours, ours.paths['/v1/sandboxes']!.post.requestBody);
    expect(create.required).toContain('resourceLimits');
  });

  it('has every upstream response status (but 403 and NEVER_ANSWERED) and every property of each response body', () => {
    const missing: string[] = [];
    for (const o of served) {
      const mineResponses = mineOf(o)?.responses ?? {};
      for (const [status, response] of Object.entries(o.responses)) {
        if (EXCLUDED_STATUSES.has(status)) continue;
        if (NEVER_ANSWERED[`${o.method} ${o.path} ${status}`]) {
          expect(mineResponses[status], `${o.method} ${o.path} ${status} is documented: drop it from NEVER_ANSWERED`).toBeUndefined();
          continue;
        }
        if (!mineResponses[status]) {
          missing.push(`${o.method} ${o.path} ${status}`);
          continue;
        }
        const mine = bodyFacts(ours, mineResponses[status]).properties;
        for (const p of response.properties) if (!mine.includes(p)) missing.push(`${o.method} ${o.path} ${status} ${p}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("documents the endpoint port and the list query with upstream's types and bounds", () => {
    const param = (method: string, path: string, name: string) => {
      const theirs = upstream.operations.find((o) => o.method === method && o.path === path)!.parameters.find((p) => p.name === name)!;
      const mine = parametersOf(ours, ours.paths[ourPath(path)]![method]).find((p: any) => p.name === name);
      return { theirs, mine };
    };
    const port = param('get', '/sandboxes/{sandboxId}/endpoints/{port}', 'port');
    expect(port.theirs).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(port.mine.schema).toMatchObject({ type: port.theirs.type, minimum: port.theirs.minimum, maximum: port.theirs.maximum });
    const state = param('get', '/sandboxes', 'state');
    expect(state.mine).toMatchObject({ in: 'query', style: state.theirs.style, explode: state.theirs.explode, schema: { type: state.theirs.type } });
    const pageSize = param('get', '/sandboxes', 'pageSize');
    // upstream sets no maximum; berth's is 200
    expect(pageSize.mine.schema).toMatchObject({
      type: pageSize.theirs.type,
      minimum: pageSize.theirs.minimum,
      maximum: 200,
      default: pageSize.theirs.default,
    });
  });
});
