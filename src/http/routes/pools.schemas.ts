import { z } from '@hono/zod-openapi';
import { PlatformSpec, ResourceLimits } from './sandboxes.schemas.js';

// Wire schemas of the warm-pool routes (berth's own; upstream serves pools on Kubernetes only). Like the
// lifecycle schemas they check shapes and types; the rules with codes of their own are the domain's.

const Timestamp = z.iso.datetime().openapi({ description: 'RFC 3339, UTC', example: '2030-01-01T00:00:00.000Z' });

export const PoolTemplate = z
  .object({
    image: z.object({ uri: z.string().min(1) }).openapi({ description: 'The image every idle sandbox runs (pulled once, before the first one starts).' }),
    entrypoint: z
      .array(z.string())
      .min(1)
      .openapi({ example: ['tail', '-f', '/dev/null'] }),
    resourceLimits: ResourceLimits.optional(),
    env: z.record(z.string(), z.string().nullable()).optional().openapi({ description: 'Environment of every idle sandbox; null values are dropped.' }),
    platform: PlatformSpec.optional(),
  })
  .openapi('PoolTemplate', {
    description:
      'What each idle sandbox is started with. A create is answered from the pool only when its image, entrypoint, env and platform equal ' +
      'these exactly; cpu, memory and pids limits may differ (applied with docker update), gpu may not. Volumes and snapshots always cold-create.',
  });

const settings = {
  template: PoolTemplate,
  idleTarget: z.number().int().min(0).openapi({ description: 'Idle sandboxes kept started on each host (at most 100).', example: 2 }),
  maxSandboxes: z.number().int().min(0).nullish().openapi({
    description: 'Ceiling on idle plus live claimed sandboxes of this pool on a host: the filler stops refilling there. Omitted: none.',
  }),
  maxIdleSeconds: z.number().int().min(60).nullish().openapi({ description: 'An idle sandbox older than this is replaced by a fresh one. Omitted: never.' }),
};

export const CreatePoolRequest = z
  .object({ name: z.string().openapi({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, example: 'python' }), ...settings })
  .openapi('CreatePoolRequest');

export const UpdatePoolRequest = z
  .object(settings)
  .openapi('UpdatePoolRequest', { description: 'Replaces every setting. A changed template replaces the idle sandboxes made from the old one.' });

export const Pool = z
  .object({
    name: z.string(),
    template: z.object({
      image: z.object({ uri: z.string() }),
      entrypoint: z.array(z.string()),
      resourceLimits: ResourceLimits,
      envNames: z.array(z.string()).openapi({ description: "The template's env variable names; values are never returned (they may hold secrets)." }),
      platform: PlatformSpec.optional(),
    }),
    idleTarget: z.number().int(),
    maxSandboxes: z.number().int().optional(),
    maxIdleSeconds: z.number().int().optional(),
    generation: z.number().int().openapi({ description: 'Goes up by one whenever the template changes.' }),
    status: z
      .object({ idle: z.number().int(), starting: z.number().int(), claiming: z.number().int() })
      .openapi({ description: 'Slots in each state, all hosts together.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Pool');

export const ListPoolsResponse = z.object({ items: z.array(Pool) }).openapi('ListPoolsResponse');

export const PoolNameParams = z.object({
  poolName: z
    .string()
    .min(1)
    .openapi({ param: { name: 'poolName', in: 'path' }, description: 'The pool name' }),
});
