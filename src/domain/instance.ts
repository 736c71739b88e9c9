import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { serverSettings } from '../db/schema/index.js';
import type { Db } from './ports.js';

/**
 * The deployment's identity lives in its database, so every process sharing the database labels and
 * recognises the same containers, and a second deployment on the same Docker engine (another database)
 * never touches ours. First boot writes it; the insert is idempotent under concurrency.
 */
export async function loadInstanceId(db: Db): Promise<string> {
  await db.insert(serverSettings).values({ key: 'instance_id', value: randomUUID() }).onConflictDoNothing();
  const [row] = await db.select().from(serverSettings).where(eq(serverSettings.key, 'instance_id'));
  return row!.value;
}
