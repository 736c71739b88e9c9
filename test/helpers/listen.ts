import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/adapters/logger.js';
import { answerClientErrors } from '../../src/http/client-error.js';

export type Listening = { base: string; server: Server; close: () => Promise<void> };

/**
 * Serve a Hono app on a random loopback port, for tests that need a real socket (streams, upgrades).
 * close() cuts open connections first: an SSE client left open would otherwise keep close() waiting.
 */
export async function listenOnRandomPort(fetch: (req: Request) => Response | Promise<Response>): Promise<Listening> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  answerClientErrors(server, silentLogger); // as main.ts does

  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
