import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { createSandbox } from '../../domain/sandbox/create-sandbox.js';
import { deleteSandbox } from '../../domain/sandbox/delete-sandbox.js';
import { getSandboxEndpoint } from '../../domain/sandbox/endpoint.js';
import { getSandbox } from '../../domain/sandbox/get-sandbox.js';
import { listSandboxes } from '../../domain/sandbox/list-sandboxes.js';
import { parseMetadataFilter } from '../../domain/sandbox/metadata.js';
import { patchSandboxMetadata } from '../../domain/sandbox/patch-metadata.js';
import { pauseSandbox, resumeSandbox } from '../../domain/sandbox/pause-resume.js';
import { renewSandbox } from '../../domain/sandbox/renew-sandbox.js';
import { actorOf } from '../context.js';
import { assertEndpointOptions, parsePort, toCreateResponse, toListResponse, toSandbox } from './sandboxes.dto.js';
import * as r from './sandboxes.openapi.js';

/**
 * openapi-fetch (the SDK's client) only skips JSON parsing on 204, HEAD or Content-Length: 0, and
 * @hono/node-server sends `c.body(null, 202)` chunked without a length: the SDK would then throw on an
 * empty body. So: an empty string and an explicit length.
 */
function acceptedEmpty(c: Context) {
  c.header('Content-Length', '0');
  return c.body('', 202);
}

/** The lifecycle routes (paths relative to /v1). Each handler: parse, call one domain verb, map. */
export function registerSandboxRoutes(app: OpenAPIHono, deps: Deps): void {
  app.openapi(r.createSandboxRoute, async (c) => {
    const row = await createSandbox(deps, c.req.valid('json'), actorOf(c));
    return c.json(toCreateResponse(row), 202);
  });

  app.openapi(r.listSandboxesRoute, async (c) => {
    const q = c.req.valid('query');
    const metadata = parseMetadataFilter(q.metadata);
    const result = await listSandboxes(deps, { states: q.state, metadata, page: q.page, pageSize: q.pageSize });
    return c.json(toListResponse(result, q), 200);
  });

  app.openapi(r.getSandboxRoute, async (c) => {
    const row = await getSandbox(deps, c.req.valid('param').sandboxId);
    return c.json(toSandbox(row), 200);
  });

  app.openapi(r.deleteSandboxRoute, async (c) => {
    await deleteSandbox(deps, c.req.valid('param').sandboxId, actorOf(c));
    return c.body(null, 204);
  });

  app.openapi(r.patchMetadataRoute, async (c) => {
    const row = await patchSandboxMetadata(deps, c.req.valid('param').sandboxId, c.req.valid('json'), actorOf(c));
    return c.json(toSandbox(row), 200);
  });

  app.openapi(r.pauseSandboxRoute, async (c) => {
    await pauseSandbox(deps, c.req.valid('param').sandboxId, actorOf(c));
    return acceptedEmpty(c);
  });

  app.openapi(r.resumeSandboxRoute, async (c) => {
    await resumeSandbox(deps, c.req.valid('param').sandboxId, actorOf(c));
    return acceptedEmpty(c);
  });

  app.openapi(r.renewExpirationRoute, async (c) => {
    const { expiresAt } = c.req.valid('json');
    const renewed = await renewSandbox(deps, c.req.valid('param').sandboxId, expiresAt, actorOf(c));
    return c.json({ expiresAt: renewed.toISOString() }, 200);
  });

  app.openapi(r.getEndpointRoute, async (c) => {
    const { sandboxId, port } = c.req.valid('param');
    const q = c.req.valid('query');
    assertEndpointOptions(q);
    // Answers naming this server (execd, the server proxy) use it as the client reached it (upstream: the
    // request's base URL) unless BERTH_PUBLIC_URL says otherwise.
    const opts = { useServerProxy: q.use_server_proxy === true, requestBase: c.req.header('host') ?? new URL(c.req.url).host };
    return c.json(await getSandboxEndpoint(deps, sandboxId, parsePort(port), opts), 200);
  });
}
