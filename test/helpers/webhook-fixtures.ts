import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deps } from '../../src/domain/deps.js';
import { composeDeps } from '../../src/compose.js';
import { noopMetrics } from '../../src/domain/metrics.js';
import type { ContainerRuntime, Logger } from '../../src/domain/ports.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import type { Db } from '../../src/adapters/postgres/client.js';
import { testConfig } from './config.js';
import { createPostgresTestDb, type TestDb } from './db.js';

export { testConfig };

export const silentLog: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLog;
  },
};

/** A Deps for the event and webhook verbs; the sandbox ports are never touched by them. */
export function webhookDeps(db: Db, over: Partial<Deps> = {}): Deps {
  const config = over.config ?? testConfig();
  // Secrets come from the config's key: deps built with one config (other dispatchers, a child process)
  // open each other's secrets.
  return composeDeps({
    db,
    runtime: {} as ContainerRuntime,
    log: silentLog,
    config,
    metrics: noopMetrics,
    volumes: noVolumes,
    instanceId: 'test-instance',
    processId: `test:${process.pid}:${randomBytes(4).toString('hex')}`,
    ...over,
  });
}

export type Received = { at: number; headers: IncomingHttpHeaders; body: string; path: string };

/**
 * A real HTTP receiver on loopback. `respond` decides the status per request (default 204); requests that
 * get a 2xx are "delivered". `down()` closes the listening socket so connections are refused.
 */
export async function startReceiver(respond: (r: Received, n: number) => number | Promise<number> = () => 204) {
  const all: Received[] = [];
  const delivered: Received[] = [];
  let port = 0;
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', async () => {
          const r: Received = { at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '/' };
          all.push(r);
          const status = await respond(r, all.length);
          if (status >= 200 && status < 300) delivered.push(r);
          res.writeHead(status).end();
        });
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const close = () => new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve()));
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    all,
    delivered,
    down: close,
    /** listen again on the same port */
    up: listen,
    close,
  };
}

/** The webhook tests' name for waitForTruthy (test/helpers/wait.ts holds every wait). */
export { waitForTruthy as waitFor } from './wait.js';

/** A fresh, migrated Postgres database for one test file. */
export function freshPostgres(poolSize?: number): Promise<TestDb> {
  return createPostgresTestDb({ poolSize });
}
