import type { z } from '@hono/zod-openapi';
import type { PoolView } from '../../domain/pools/crud.js';
import type { Pool } from './pools.schemas.js';

// Pool rows -> wire shapes: absent means absent (no null fields), env values never leave the server.
export function toPool(p: PoolView): z.input<typeof Pool> {
  return {
    name: p.name,
    template: {
      image: { uri: p.image },
      entrypoint: p.entrypoint,
      resourceLimits: p.resourceLimits,
      envNames: Object.keys(p.env).sort(),
      ...(p.platform && { platform: p.platform }),
    },
    idleTarget: p.idleTarget,
    ...(p.maxSandboxes !== null && { maxSandboxes: p.maxSandboxes }),
    ...(p.maxIdleSeconds !== null && { maxIdleSeconds: p.maxIdleSeconds }),
    generation: p.generation,
    status: p.slots,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
