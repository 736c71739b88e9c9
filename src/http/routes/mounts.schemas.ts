import { z } from '@hono/zod-openapi';
import { optionalQueryInt } from './query-int.js';
import { MOUNT_STATES } from '../../domain/volumes/ledger/states.js';

// Schemas of the mount-ledger routes. Nothing here can carry a secret: the ledger keeps none in clear.

export const MountIdentity = z
  .object({
    bucket: z.string(),
    prefix: z.string().openapi({ description: "Object prefix (the volume's subPath), '' for the bucket root" }),
    endpoint: z.string(),
    version: z.string().openapi({ example: '2.0' }),
    options: z.array(z.string()),
    credentialFingerprint: z
      .string()
      .nullable()
      .openapi({ description: 'Start of a keyed hash of the credentials: equal for equal credentials, never the credentials' }),
  })
  .openapi('MountIdentity');

export const Mount = z
  .object({
    id: z.string().openapi({ example: 'mnt_0193a0c0ffee0123456789abcdef' }),
    backend: z.string().openapi({ example: 'ossfs' }),
    hostId: z.string(),
    hostPath: z.string().openapi({ description: 'The host mount point bound into every sandbox that holds the mount' }),
    state: z.enum(MOUNT_STATES),
    health: z.string().openapi({ description: 'ok, or degraded after the mount was found dead or missing (until it is repaired)' }),
    identity: MountIdentity,
    references: z.number().int().openapi({ description: 'Number of sandboxes holding the mount (one reference row each)' }),
    sandboxes: z.array(z.string()).openapi({ description: 'Ids of the sandboxes holding it' }),
    lastError: z.string().nullable(),
    leaseOwner: z.string().nullable().openapi({ description: 'The server process working on it while mounting or unmounting' }),
    leaseUntil: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Mount');

export const MountList = z.object({ items: z.array(Mount) }).openapi('MountList');

export const MountIdParams = z.object({
  mountId: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'mountId', in: 'path' } }),
});

export const ListMountsQuery = z.object({
  state: z.enum(MOUNT_STATES).optional().openapi({ description: 'Only mounts in this state; without it, every mount except unmounted history' }),
  hostId: z.string().optional(),
  limit: optionalQueryInt(1, 1000),
});
