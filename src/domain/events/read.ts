import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { events } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { toEventDto, type EventDto } from './dto.js';

export type EventFilter = {
  /** only events of these types; empty or absent = all */
  types?: readonly string[];
  sandboxId?: string;
};

/**
 * Events after `afterSeq` in sequence order. Because appendEvents makes seq order equal commit order, a
 * reader that remembers the last seq it saw and asks for `seq > last` never skips or repeats an event.
 */
export async function listEventsAfter(deps: Pick<Deps, 'db'>, input: { afterSeq: number; limit: number } & EventFilter): Promise<EventDto[]> {
  const where: SQL[] = [gt(events.seq, input.afterSeq)];
  if (input.types && input.types.length > 0) where.push(inArray(events.type, [...input.types]));
  if (input.sandboxId) where.push(eq(events.sandboxId, input.sandboxId));
  const rows = await deps.db
    .select()
    .from(events)
    .where(and(...where))
    .orderBy(asc(events.seq))
    .limit(input.limit);
  return rows.map(toEventDto);
}

/** The newest sequence number in the log (0 when empty): where a stream without a resume point starts. */
export async function headSeq(deps: Pick<Deps, 'db'>): Promise<number> {
  const [row] = await deps.db.select({ seq: sql<string | number | null>`max(${events.seq})` }).from(events);
  return Number(row?.seq ?? 0);
}
