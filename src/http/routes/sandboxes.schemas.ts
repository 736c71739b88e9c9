import { z } from '@hono/zod-openapi';
import { assertNoPrototypeKeys } from '../../domain/sandbox/metadata.js';
import { queryInt } from './query-int.js';

/**
 * Wire schemas of the lifecycle API (upstream's specs/sandbox-lifecycle.yml, camelCase, names kept so the
 * generated document reads like upstream's). Rules that hold for all of them:
 * - objects are never strict: unknown fields are dropped, as upstream's pydantic models do; a Volume keeps
 *   them (loose) so the volumes module can refuse a backend it does not know (e.g. `nfs`);
 * - schemas check shapes and types; rules with upstream error codes of their own (label syntax, volume
 *   names, ossfs versions, image references, ...) are left to the domain, which answers with those codes;
 * - an optional field may be sent as null (pydantic's Optional accepts it) and then means "absent".
 */

/** `T | null | undefined` on the wire, `T | undefined` after parsing. */
const orNull = <T extends z.ZodType>(schema: T) =>
  z
    .union([schema, z.null()])
    .optional()
    .transform((v) => v ?? undefined);

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** The timeout_seconds column is an int4; larger values could never be stored. */
const MAX_TIMEOUT_SECONDS = 2_147_483_647;

const StringMap = z.record(z.string(), z.string());

/** A label map keeps its prototype keys long enough for the domain's label rule to refuse them (see metadata.ts). */
const labelMap = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    assertNoPrototypeKeys(v);
    return v;
  }, schema);

export const ResourceLimits = StringMap.openapi('ResourceLimits', {
  description: 'Resource limits as key-value pairs: cpu ("500m", "2"), memory ("512Mi", "1Gi"), gpu ("1", "all"). Unparseable values are ignored, as upstream.',
  example: { cpu: '500m', memory: '512Mi' },
});

export const ImageSpec = z
  .object({
    uri: z.string().min(1).openapi({ description: 'Container image reference, e.g. "python:3.11" or "registry:5000/app:v1".', example: 'python:3.11' }),
    auth: orNull(
      z
        .object({ username: z.string(), password: z.string() })
        .openapi({ description: 'Registry credentials for the pull. Accepted on create, never stored or returned.' }),
    ),
  })
  .openapi('ImageSpec');

export const PlatformSpec = z
  .object({
    os: z.string().openapi({ enum: ['linux', 'windows'], description: 'Target OS (case-insensitive); this server runs linux only.' }),
    arch: z.string().openapi({ enum: ['amd64', 'arm64'], description: 'Target CPU architecture (case-insensitive).' }),
  })
  .openapi('PlatformSpec');

export const NetworkRule = z.object({ action: z.enum(['allow', 'deny']), target: z.string() }).openapi('NetworkRule');

export const NetworkPolicy = z
  .object({ defaultAction: z.enum(['allow', 'deny']).optional(), egress: z.array(NetworkRule).optional() })
  .openapi('NetworkPolicy', { description: 'Egress policy. Accepted in the schema; this server answers 400 SANDBOX::INVALID_PARAMETER (no egress sidecar).' });

export const CredentialProxyConfig = z
  .object({ enabled: z.boolean().default(false) })
  .openapi('CredentialProxyConfig', { description: 'Credential proxy opt-in; requires networkPolicy, so enabled=true is refused here.' });

export const Host = z
  .object({
    path: z.string().openapi({ pattern: '^(/|[A-Za-z]:[\\\\/])', description: 'Absolute host path under an allowed prefix (BERTH_ALLOWED_HOST_PATHS).' }),
  })
  .openapi('Host');

export const PVC = z
  .object({
    claimName: z.string().openapi({ pattern: DNS_LABEL, maxLength: 253, description: 'Docker named volume.' }),
    createIfNotExists: z.boolean().default(true),
    deleteOnSandboxTermination: z.boolean().default(false),
    storageClass: orNull(z.string()).openapi({ description: 'Kubernetes only; ignored on Docker.' }),
    storage: orNull(z.string()).openapi({ pattern: '^\\d+(\\.\\d+)?(Ki|Mi|Gi|Ti|Pi|Ei)?$', description: 'Kubernetes only; ignored on Docker.' }),
    accessModes: orNull(z.array(z.string())).openapi({ description: 'Kubernetes only; ignored on Docker.' }),
  })
  .openapi('PVC');

export const OSSFS = z
  .object({
    bucket: z.string().openapi({ minLength: 3, maxLength: 63 }),
    endpoint: z.string().openapi({ minLength: 1, example: 'oss-cn-hangzhou.aliyuncs.com' }),
    version: z
      .string()
      .default('2.0')
      .openapi({ enum: ['1.0', '2.0'] }),
    options: z.array(z.string()).optional().openapi({ description: 'Extra mount options, raw payloads without a leading "-".' }),
    accessKeyId: z.string().optional(),
    accessKeySecret: z.string().optional().openapi({ description: 'Stored encrypted; never returned or logged.' }),
  })
  // Required in the document as upstream; absent, the domain answers with upstream's VOLUME::INVALID_OSSFS_CREDENTIALS.
  .openapi('OSSFS', { required: ['bucket', 'endpoint', 'accessKeyId', 'accessKeySecret'] });

export const Volume = z
  .object({
    name: z.string().openapi({ pattern: DNS_LABEL, maxLength: 63 }),
    host: orNull(Host),
    pvc: orNull(PVC),
    ossfs: orNull(OSSFS),
    mountPath: z.string().openapi({ pattern: '^/.*' }),
    readOnly: z.boolean().default(false),
    subPath: orNull(z.string()).openapi({ description: 'Relative path under the backend (the bucket prefix for ossfs); no ".." components.' }),
  })
  .loose()
  .openapi('Volume', { description: 'A storage mount. Exactly one backend (host, pvc, ossfs); any other backend key is refused with 400.' });

export const CreateSandboxRequest = z
  .object({
    image: orNull(ImageSpec),
    snapshotId: orNull(z.string().min(1)).openapi({
      description: 'Restore from a Ready snapshot (exactly one of image/snapshotId). entrypoint then defaults to ["tail","-f","/dev/null"].',
    }),
    platform: orNull(PlatformSpec),
    timeout: z
      .number()
      .int()
      .min(60)
      .max(MAX_TIMEOUT_SECONDS)
      .nullish()
      .openapi({ description: 'Seconds until automatic termination (>= 60). Omitted or null: manual cleanup, no expiresAt.', example: 3600 }),
    resourceLimits: orNull(ResourceLimits).openapi({
      description: 'Required, as upstream (only a pool create, extensions.poolRef, may omit it); {} sets no cpu or memory limit.',
    }),
    resourceRequests: orNull(StringMap).openapi({ description: 'Kubernetes resource requests; accepted and ignored on Docker.' }),
    env: orNull(z.record(z.string(), z.string().nullable())).openapi({ description: 'Environment variables; null values are dropped.' }),
    metadata: orNull(labelMap(StringMap)).openapi({ description: 'Labels for filtering (Kubernetes label rules; prefix opensandbox.io/ is reserved).' }),
    entrypoint: orNull(z.array(z.string()).min(1)).openapi({
      description: 'The sandbox main process, e.g. ["tail","-f","/dev/null"]. Required with image; optional with snapshotId.',
    }),
    networkPolicy: orNull(NetworkPolicy),
    credentialProxy: orNull(CredentialProxyConfig),
    secureAccess: orNull(z.boolean()).openapi({ description: 'Kubernetes gateway only; true is refused on Docker.' }),
    volumes: orNull(z.array(Volume)),
    extensions: orNull(StringMap).openapi({ description: 'Opaque provider parameters; access.renew.extend.seconds must be 300..86400.' }),
  })
  // The document marks resourceLimits required, as upstream's spec says of a standard create. The schema
  // itself lets it through absent, so the domain can answer it with its code, after the checks upstream
  // makes first, and a pool create (extensions.poolRef) can take it from the pool's template. (This list
  // replaces the generated one: a field that becomes required in the schema must be added here.)
  .openapi('CreateSandboxRequest', { required: ['resourceLimits'] });

// ---------------------------------------------------------------- responses

const Timestamp = z.iso.datetime().openapi({ description: 'RFC 3339, UTC', example: '2030-01-01T00:00:00.000Z' });

export const SandboxStatus = z
  .object({
    state: z.string().openapi({
      description: 'Pending | Running | Pausing | Paused | Resuming | Stopping | Terminated | Failed (clients must tolerate new values).',
      example: 'Running',
    }),
    reason: z.string().optional().openapi({ example: 'CONTAINER_RUNNING' }),
    message: z.string().optional(),
    lastTransitionAt: Timestamp.optional(),
  })
  .openapi('SandboxStatus');

const sandboxCore = {
  id: z.string().openapi({ description: 'Unique sandbox identifier' }),
  status: SandboxStatus,
  metadata: StringMap.optional().openapi({ description: 'Omitted when empty.' }),
  platform: PlatformSpec.optional(),
  expiresAt: Timestamp.optional().openapi({ description: 'Omitted for manual cleanup.' }),
  createdAt: Timestamp,
  entrypoint: z.array(z.string()),
  extensions: StringMap.optional(),
};

export const CreateSandboxResponse = z.object(sandboxCore).openapi('CreateSandboxResponse');

export const Sandbox = z
  .object({
    ...sandboxCore,
    image: z
      .object({
        uri: z.string(),
        auth: z.object({ username: z.string(), password: z.string() }).optional().openapi({ description: 'Never returned.' }),
      })
      .optional()
      .openapi({ description: 'The image the sandbox runs (its uri only; registry credentials are never stored or returned). Absent for a snapshot restore.' }),
    snapshotId: z.string().optional().openapi({ description: 'Set (instead of image) when the sandbox was restored from a snapshot.' }),
  })
  .openapi('Sandbox');

export const PaginationInfo = z
  .object({
    page: z.number().int().min(1),
    pageSize: z.number().int().min(1),
    totalItems: z.number().int().min(0),
    totalPages: z.number().int().min(0),
    hasNextPage: z.boolean(),
  })
  .openapi('PaginationInfo');

export const ListSandboxesResponse = z.object({ items: z.array(Sandbox), pagination: PaginationInfo }).openapi('ListSandboxesResponse');

// ---------------------------------------------------------------- other requests

const SandboxIdSchema = z
  .string()
  .min(1)
  .openapi({ param: { name: 'sandboxId', in: 'path' }, description: 'Unique sandbox identifier' });
export const SandboxIdParams = z.object({ sandboxId: SandboxIdSchema });

/** `?state=A&state=B`: a repeatable filter, always an array once parsed (one value arrives as a string). */
export const repeatedStateQuery = (example: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .openapi({
      type: 'array',
      items: { type: 'string' },
      param: { style: 'form', explode: true },
      description: `Filter by state, case-insensitive; repeat for OR: ${example}`,
    });

export const ListSandboxesQuery = z.object({
  state: repeatedStateQuery('?state=Running&state=Paused'),
  metadata: z.string().optional().openapi({
    description: 'ONE parameter holding k=v&k2=v2 (AND), URL-encoded once: ?metadata=team%3Dml%26env%3Dprod',
  }),
  page: queryInt(1, 1, 2_147_483_647),
  pageSize: queryInt(20, 1, 200),
});

export const PatchSandboxMetadataRequest = labelMap(z.record(z.string(), z.string().nullable())).openapi('PatchSandboxMetadataRequest', {
  description: 'JSON merge patch of the metadata map: "k":"v" sets, "k":null deletes.',
  example: { team: 'ml', old: null },
});

/** RFC 3339; a time without an offset is taken as UTC, as upstream does. */
const toUtcDate = (s: string) => new Date(/(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : `${s}Z`);

export const RenewSandboxExpirationRequest = z
  .object({
    expiresAt: z.iso
      .datetime({ offset: true, local: true })
      .transform(toUtcDate)
      .openapi({ type: 'string', format: 'date-time', description: 'New absolute expiry, RFC 3339; must be in the future.', example: '2030-01-01T00:00:00Z' }),
  })
  .openapi('RenewSandboxExpirationRequest');

export const RenewSandboxExpirationResponse = z.object({ expiresAt: Timestamp }).openapi('RenewSandboxExpirationResponse');

export const EndpointParams = z.object({
  sandboxId: SandboxIdSchema,
  // Checked by the endpoint verb so every bad port gets upstream's DOCKER::INVALID_PORT, not a schema error.
  port: z.string().openapi({ type: 'integer', minimum: 1, maximum: 65535, param: { name: 'port', in: 'path' } }),
});

export const EndpointQuery = z.object({
  use_server_proxy: z
    .string()
    .regex(/^(true|false|1|0|yes|no|on|off)$/i, 'must be true or false')
    .transform((v) => /^(true|1|yes|on)$/i.test(v))
    .optional()
    .openapi({
      type: 'boolean',
      default: false,
      description:
        "true: answer `{host}/sandboxes/{id}/proxy/{port}` (no scheme, no /v1), this server's reverse proxy to the port, " +
        'which needs no API key (except execd, 44772). 400 when BERTH_SERVER_PROXY=false, except for 44772.',
    }),
  expires: z
    .string()
    .optional()
    .openapi({ pattern: '^(0|[1-9][0-9]*)$', description: 'Signed routes are not supported on Docker: 400 SANDBOX::API_NOT_SUPPORTED.' }),
});

export const Endpoint = z
  .object({
    endpoint: z.string().openapi({ description: 'host:port[/path] without a scheme', example: '127.0.0.1:49153' }),
    headers: StringMap.optional(),
  })
  .openapi('Endpoint');

export const MetricsEvent = z
  .object({
    eventType: z.string().openapi({ example: 'sandbox.create' }),
    sandboxId: z.string().optional(),
    image: z.string().optional(),
    createDurationMs: z.number().optional(),
    durationMs: z.number().optional(),
    success: z.boolean().optional(),
  })
  .loose()
  .openapi('MetricsEvent', { description: 'SDK telemetry (OpenSandbox SDK >= 0.1.11); logged, answered 204.' });
