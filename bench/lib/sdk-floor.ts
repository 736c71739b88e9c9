import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sandbox } from '@alibaba-group/opensandbox';
import { answerLifecycle, notFound } from './stub-lifecycle.js';

/**
 * The SDK's own cost for moving a file, with no sandbox behind it: a stub lifecycle and execd on loopback that
 * reads uploads to the end and throws them away, and answers downloads from memory. What the SDK takes here
 * is the floor of any server's figure through the SDK.
 */
export async function startSdkStub(
  data: Buffer,
): Promise<{ upload(input?: Buffer | AsyncIterable<Uint8Array>): Promise<void>; download(how?: 'bytes' | 'stream'): Promise<void>; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    req.resume();
    req.on('end', () => {
      if (answerLifecycle(req, res, path, `127.0.0.1:${(server.address() as AddressInfo).port}`)) return;
      if (path.endsWith('/files/upload')) return res.writeHead(200, { 'content-length': 0 }).end();
      if (path.endsWith('/files/download')) return res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length }).end(data);
      notFound(res, path);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sbx = await stubSandbox(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    upload: (input = data) => sbx.files.writeFiles([{ path: '/tmp/floor.bin', data: input }]),
    download: async (how = 'bytes') => {
      const got = await sdkRead(sbx, '/tmp/floor.bin', how);
      if (got !== data.length) throw new Error(`stub download ${got} bytes`);
    },
    close: () => close(server),
  };
}

/** A download through the SDK, as one buffer (`readBytes`) or as a stream (`readBytesStream`): the bytes it got. */
export async function sdkRead(sbx: Sandbox, path: string, how: 'bytes' | 'stream'): Promise<number> {
  if (how === 'bytes') return (await sbx.files.readBytes(path)).length;
  let n = 0;
  for await (const chunk of sbx.files.readBytesStream(path)) n += chunk.length;
  return n;
}

/** An SDK sandbox handle on a stub server (see stub-lifecycle.ts). */
export function stubSandbox(domain: string): Promise<Sandbox> {
  return Sandbox.create({
    connectionConfig: { domain, apiKey: 'stub', requestTimeoutSeconds: 120 },
    image: 'x',
    skipHealthCheck: true,
    resource: { cpu: '1', memory: '512Mi' },
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
