/**
 * A stand-alone webhook dispatcher process for the SIGKILL test: the real loops (fan-out, claim, deliver)
 * against DATABASE_URL, with a short request timeout so its leases run out quickly after it is killed.
 * Prints "dispatcher ready <processId>" once the loops run.
 */
import { randomBytes } from 'node:crypto';
import { openDb } from '../../src/adapters/postgres/client.js';
import { startWebhookLoops } from '../../src/domain/webhooks/loops.js';
import { policyWith } from '../../src/domain/webhooks/policy.js';
import { testConfig, webhookDeps } from './webhook-fixtures.js';

const handle = await openDb({ databaseUrl: process.env.DATABASE_URL! });
const processId = `child:${process.pid}:${randomBytes(3).toString('hex')}`;
const deps = webhookDeps(handle.db, { config: testConfig({ BERTH_SECRET_KEY: process.env.BERTH_SECRET_KEY! }), processId });
const timeout = Number(process.env.WEBHOOK_TIMEOUT_MS ?? 2000);
startWebhookLoops(deps, { policy: policyWith({ requestTimeoutMs: timeout, scheduleMs: [200, 200, 200], jitter: 0 }), intervalMs: 20 });
console.log(`dispatcher ready ${processId}`);
