import type { EventRow } from '../../db/schema/index.js';

/**
 * The one public shape of an event: the SSE `data:` line and the `data` of a webhook payload carry exactly
 * this, so a dashboard and a platform see the same fields. `seq` doubles as the SSE id for resuming.
 */
export type EventDto = {
  id: string;
  seq: number;
  type: string;
  time: string;
  sandboxId: string | null;
  mountId: string | null;
  fromState: string | null;
  toState: string | null;
  reason: string | null;
  actor: string;
  data: Record<string, unknown>;
};

export function toEventDto(row: EventRow): EventDto {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    time: row.createdAt.toISOString(),
    sandboxId: row.sandboxId,
    mountId: row.mountId,
    fromState: row.fromState,
    toState: row.toState,
    reason: row.reason,
    actor: row.actor,
    data: row.data ?? {},
  };
}
