import type { Config } from '../../config.js';
import type { PoolRow } from '../../db/schema/index.js';
import { invalid } from '../errors.js';
import { validateCreate } from '../sandbox/validate-create.js';

/** A pool as the API sends it (src/http/routes/pools.schemas.ts), name from the path on update. */
export type PoolInput = {
  template: {
    image: { uri: string };
    entrypoint: string[];
    resourceLimits?: Record<string, string>;
    env?: Record<string, string | null>;
    platform?: { os: string; arch: string };
  };
  idleTarget: number;
  maxSandboxes?: number | null;
  maxIdleSeconds?: number | null;
};

export type PoolTemplate = Pick<PoolRow, 'image' | 'entrypoint' | 'env' | 'resourceLimits' | 'platform'>;
export type ValidPool = PoolTemplate & Pick<PoolRow, 'idleTarget' | 'maxSandboxes' | 'maxIdleSeconds'>;

const POOL_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Every idle sandbox costs a started container; more than this on one host is a typo, not a plan. */
export const MAX_IDLE_TARGET = 100;

export function assertPoolName(name: string): void {
  if (name.length > 63 || !POOL_NAME.test(name))
    throw invalid('SANDBOX::INVALID_PARAMETER', `Pool name '${name.slice(0, 80)}' must be a DNS label (lowercase letters, digits and '-', at most 63).`);
}

/**
 * The template is checked by the create path's own rules (image reference, entrypoint, env keys, platform), so
 * anything a pool accepts a cold create would accept too, normalised the same way (env nulls dropped, platform
 * lower-cased): what a claim compares against is what a create would have stored.
 */
export function validatePool(input: PoolInput, config: Pick<Config, 'maxTimeoutSeconds'>): ValidPool {
  const t = input.template;
  const v = validateCreate(
    { image: { uri: t.image.uri }, entrypoint: t.entrypoint, resourceLimits: t.resourceLimits ?? {}, env: t.env, platform: t.platform },
    config,
  );
  const { idleTarget, maxSandboxes = null, maxIdleSeconds = null } = input;
  if (!Number.isInteger(idleTarget) || idleTarget < 0 || idleTarget > MAX_IDLE_TARGET)
    throw invalid('SANDBOX::INVALID_PARAMETER', `idleTarget must be an integer from 0 to ${MAX_IDLE_TARGET}.`);
  if (maxSandboxes !== null && (!Number.isInteger(maxSandboxes) || maxSandboxes < idleTarget))
    throw invalid('SANDBOX::INVALID_PARAMETER', 'maxSandboxes must be an integer no smaller than idleTarget.');
  if (maxIdleSeconds !== null && (!Number.isInteger(maxIdleSeconds) || maxIdleSeconds < 60))
    throw invalid('SANDBOX::INVALID_PARAMETER', 'maxIdleSeconds must be an integer of at least 60.');
  return {
    image: v.image,
    entrypoint: v.entrypoint,
    env: v.env,
    resourceLimits: v.resourceLimits,
    platform: v.platform,
    idleTarget,
    maxSandboxes,
    maxIdleSeconds,
  };
}

/** True when idle slots made from `a` are no longer what `b` would make. */
export function templateChanged(a: PoolTemplate, b: PoolTemplate): boolean {
  return (
    a.image !== b.image ||
    !sameJson(a.entrypoint, b.entrypoint) ||
    !sameMap(a.env, b.env) ||
    !sameMap(a.resourceLimits, b.resourceLimits) ||
    !sameJson(a.platform ?? null, b.platform ?? null)
  );
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Maps compare by content: jsonb does not keep key order. */
export function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
