import type { z } from '@hono/zod-openapi';
import type { SandboxRow } from '../../domain/records.js';
import { invalid } from '../../domain/errors.js';
import type { ListSandboxesResult } from '../../domain/sandbox/list-sandboxes.js';
import type { CreateSandboxResponse, EndpointQuery, ListSandboxesResponse, Sandbox, SandboxStatus } from './sandboxes.schemas.js';

// Rows -> wire shapes. Absent means absent: no null fields (upstream's response_model_exclude_none), no
// expiresAt for manual cleanup, no metadata/extensions/platform when there are none. Timestamps are RFC 3339 UTC.

const iso = (d: Date) => d.toISOString();
const nonEmpty = (m: Record<string, string>) => (Object.keys(m).length > 0 ? m : undefined);

function toStatus(row: SandboxRow): z.input<typeof SandboxStatus> {
  return {
    state: row.state,
    ...(row.reason !== null && { reason: row.reason }),
    ...(row.message !== null && { message: row.message }),
    lastTransitionAt: iso(row.lastTransitionAt),
  };
}

export function toCreateResponse(row: SandboxRow): z.input<typeof CreateSandboxResponse> {
  const metadata = nonEmpty(row.metadata);
  const extensions = nonEmpty(row.extensions);
  return {
    id: row.id,
    status: toStatus(row),
    ...(metadata && { metadata }),
    ...(row.platform && { platform: row.platform }),
    ...(row.expiresAt && { expiresAt: iso(row.expiresAt) }),
    createdAt: iso(row.createdAt),
    entrypoint: row.entrypoint,
    ...(extensions && { extensions }),
  };
}

/**
 * GET, list items and the PATCH answer: the create shape plus the startup source, the image (its uri only;
 * never credentials) or, for a restore, the snapshotId (its image tag is berth's business).
 */
export function toSandbox(row: SandboxRow): z.input<typeof Sandbox> {
  return row.snapshotId !== null ? { ...toCreateResponse(row), snapshotId: row.snapshotId } : { ...toCreateResponse(row), image: { uri: row.image } };
}

export function toListResponse(result: ListSandboxesResult, q: { page: number; pageSize: number }): z.input<typeof ListSandboxesResponse> {
  const totalPages = Math.ceil(result.totalItems / q.pageSize);
  return {
    items: result.items.map(toSandbox),
    pagination: { page: q.page, pageSize: q.pageSize, totalItems: result.totalItems, totalPages, hasNextPage: q.page < totalPages },
  };
}

/** Digits only; anything else becomes NaN, which the endpoint verb answers with DOCKER::INVALID_PORT. */
export const parsePort = (raw: string): number => (/^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN);

/**
 * Signed routes (`expires`, OSEP-0011) exist only behind upstream's Kubernetes gateway; on Docker upstream
 * answers API_NOT_SUPPORTED, and INVALID_PARAMETER when combined with use_server_proxy. Same here.
 */
export function assertEndpointOptions(q: z.output<typeof EndpointQuery>): void {
  if (q.expires === undefined) return;
  if (q.use_server_proxy) throw invalid('SANDBOX::INVALID_PARAMETER', 'use_server_proxy cannot be combined with expires.');
  throw invalid('SANDBOX::API_NOT_SUPPORTED', 'Signed endpoints (expires) are not supported on the Docker runtime.');
}
