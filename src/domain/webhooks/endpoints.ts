import { desc, eq, sql } from 'drizzle-orm';
import { checkWebhookUrl } from './address-policy.js';
import type { Resolver } from './transport.js';
import { webhookEndpoints } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import type { EventType } from '../events/types.js';
import { withTx } from '../../db/tx.js';
import { toEndpointDto, type WebhookEndpointDto } from './dto.js';
import { invalidUrl, urlNotAllowed, webhookNotFound } from './errors.js';
import { DEFAULT_POLICY } from './policy.js';
import { generateSecret } from './signature.js';

export type CreateWebhookInput = { url: string; description?: string | null; eventTypes?: EventType[]; enabled?: boolean };
export type UpdateWebhookInput = Partial<CreateWebhookInput>;
export type WebhookWithSecret = WebhookEndpointDto & { secret: string };

type D = Pick<Deps, 'db' | 'clock' | 'ids' | 'config' | 'webhookTransport' | 'webhookSecrets'>;

/** Refuse URLs that are not http(s), do not resolve, or reach private addresses (unless config allows them). */
export async function assertDeliverableUrl(config: Deps['config'], url: string, resolve: Resolver): Promise<void> {
  const check = await checkWebhookUrl(url, config.webhookAllowPrivate, resolve);
  if (check.ok) return;
  throw check.reason === 'private_address' ? urlNotAllowed() : invalidUrl();
}

export async function createWebhook(deps: D, input: CreateWebhookInput): Promise<WebhookWithSecret> {
  await assertDeliverableUrl(deps.config, input.url, deps.webhookTransport.resolve);
  const secret = generateSecret();
  const now = deps.clock.now();
  const [row] = await deps.db
    .insert(webhookEndpoints)
    .values({
      id: deps.ids.prefixed('whk'),
      url: input.url,
      description: input.description ?? null,
      secretEnc: deps.webhookSecrets.seal(secret),
      eventTypes: dedupe(input.eventTypes ?? []),
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return { ...toEndpointDto(row!), secret };
}

export async function listWebhooks(deps: Pick<Deps, 'db'>): Promise<WebhookEndpointDto[]> {
  const rows = await deps.db.select().from(webhookEndpoints).orderBy(desc(webhookEndpoints.createdAt));
  return rows.map(toEndpointDto);
}

export async function getWebhook(deps: Pick<Deps, 'db'>, id: string): Promise<WebhookEndpointDto> {
  const [row] = await deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw webhookNotFound(id);
  return toEndpointDto(row);
}

/** Enabling an endpoint (again) clears its failure record, so one old failure cannot disable it at once. */
export async function updateWebhook(deps: D, id: string, input: UpdateWebhookInput): Promise<WebhookEndpointDto> {
  if (input.url !== undefined) await assertDeliverableUrl(deps.config, input.url, deps.webhookTransport.resolve);
  const set: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: deps.clock.now() };
  if (input.url !== undefined) set.url = input.url;
  if (input.description !== undefined) set.description = input.description;
  if (input.eventTypes !== undefined) set.eventTypes = dedupe(input.eventTypes);
  if (input.enabled !== undefined) set.enabled = input.enabled;
  if (input.enabled === true) Object.assign(set, { disabledReason: null, consecutiveFailures: 0, failingSince: null });
  const [row] = await deps.db.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, id)).returning();
  if (!row) throw webhookNotFound(id);
  return toEndpointDto(row);
}

export async function deleteWebhook(deps: Pick<Deps, 'db'>, id: string): Promise<void> {
  const gone = await deps.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id });
  if (gone.length === 0) throw webhookNotFound(id);
}

/**
 * New secret, returned once. The old one keeps signing (as a second signature) for the grace period, so a
 * receiver can deploy the new secret without rejecting deliveries in between. The rotation is logged (who
 * and when, never the secret) in the same transaction; the event is log-only, so no receiver hears of it.
 */
export async function rotateWebhookSecret(deps: D, id: string, actor: string, graceMs = DEFAULT_POLICY.rotationGraceMs): Promise<WebhookWithSecret> {
  const secret = generateSecret();
  const now = deps.clock.now();
  return withTx(deps.db, async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        previousSecretEnc: sql`${webhookEndpoints.secretEnc}`, // the value before this update
        previousSecretExpiresAt: new Date(now.getTime() + graceMs),
        secretEnc: deps.webhookSecrets.seal(secret),
        updatedAt: now,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (!row) throw webhookNotFound(id);
    const data = { endpointId: id, previousSecretValidUntil: row.previousSecretExpiresAt?.toISOString() ?? null };
    await appendEvent(tx, deps, { type: 'webhook.secret_rotated', actor, data });
    return { ...toEndpointDto(row), secret };
  });
}

const dedupe = (types: string[]) => [...new Set(types)];
