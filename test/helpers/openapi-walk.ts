/**
 * What an OpenAPI document says, as flat facts: operations, their parameters (`in:name`), and the property
 * paths of a request or response body (`a.b`, `a.items[]`, `m{}` for map values) through $ref, anyOf, oneOf
 * and allOf. openapi-compat reads our /openapi.json with these, and test/fixtures/upstream/extract-facts.ts
 * reads an upstream spec with the same ones, so both sides are described by one set of rules.
 */
export type OpenApiDoc = { paths: Record<string, Record<string, any>>; components?: Record<string, Record<string, any>> };

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function resolve(doc: OpenApiDoc, node: any): any {
  let n = node;
  for (let i = 0; n && typeof n === 'object' && typeof n.$ref === 'string' && i < 10; i++) {
    const parts = (n.$ref as string).replace(/^#\//, '').split('/');
    n = parts.reduce((o: any, k) => o?.[k], doc);
  }
  return n;
}

/**
 * Visit a schema and every schema below it (through $ref, anyOf/oneOf/allOf, properties, items and map
 * values), each with the property path it sits at; a schema already on the way down is not entered again.
 */
function walk(doc: OpenApiDoc, schema: any, visit: (s: any, prefix: string) => void, prefix = '', seen = new Set<any>()): void {
  const s = resolve(doc, schema);
  if (!s || typeof s !== 'object' || seen.has(s)) return;
  const nextSeen = new Set(seen).add(s);
  visit(s, prefix);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const b of s[key] ?? []) walk(doc, b, visit, prefix, nextSeen);
  for (const [name, sub] of Object.entries<any>(s.properties ?? {})) walk(doc, sub, visit, join(prefix, name), nextSeen);
  if (s.items) walk(doc, s.items, visit, `${prefix}[]`, nextSeen);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(doc, s.additionalProperties, visit, `${prefix}{}`, nextSeen);
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

/** Every property path a schema can carry. */
export function propertyPaths(doc: OpenApiDoc, schema: any): Set<string> {
  const out = new Set<string>();
  walk(doc, schema, (s, prefix) => Object.keys(s.properties ?? {}).forEach((name) => out.add(join(prefix, name))));
  return out;
}

/** Every property path a schema requires (a.b: b is required once a is there), through the same branches. */
export function requiredPaths(doc: OpenApiDoc, schema: any): Set<string> {
  const out = new Set<string>();
  walk(doc, schema, (s, prefix) => (s.required ?? []).forEach((name: string) => out.add(join(prefix, name))));
  return out;
}

/** The JSON schema of a request body or a response, resolved. */
export const jsonSchemaOf = (doc: OpenApiDoc, node: any): any => resolve(doc, resolve(doc, node)?.content?.['application/json']?.schema);

/** Every operation with its path-level parameters. */
export function operations(doc: OpenApiDoc): Array<{ path: string; method: string; op: any; pathParams: any[] }> {
  const ops: Array<{ path: string; method: string; op: any; pathParams: any[] }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) ops.push({ path, method, op: item[method], pathParams: item.parameters ?? [] });
  }
  return ops;
}

/** An operation's parameters (path-level and its own), resolved. */
export const parametersOf = (doc: OpenApiDoc, op: any, pathParams: any[] = []): any[] => [...pathParams, ...(op?.parameters ?? [])].map((p) => resolve(doc, p));

/** What a body says, as facts: its property paths, the paths it requires, and whether it is a map (additionalProperties). */
export function bodyFacts(doc: OpenApiDoc, node: any): { properties: string[]; requiredProperties: string[]; map: boolean } {
  const schema = jsonSchemaOf(doc, node);
  return {
    properties: [...propertyPaths(doc, schema)].sort(),
    requiredProperties: [...requiredPaths(doc, schema)].sort(),
    map: Boolean(schema?.additionalProperties),
  };
}
