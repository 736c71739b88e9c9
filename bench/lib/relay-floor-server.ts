/**
 * A plain relay for a download, run as its own process (as berth is): the engine's archive of the file, its
 * 512-byte tar header dropped, every other byte written to the response as it comes, and nothing else: no
 * checks, no memory window, no back-pressure, no tar parsing past the first header. bench/execd.ts reads it
 * through the SDK, so the figure is what the hop itself (an engine socket in, a loopback socket out, one
 * more process on the cores) costs, with none of berth's work. Env: RELAY_CONTAINER.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { ddStdin } from './exec-stdin.js';
import { answerLifecycle, notFound } from './stub-lifecycle.js';

const TAR_BLOCK = 512;
const container = new Docker({ socketPath: '/var/run/docker.sock' }).getContainer(process.env.RELAY_CONTAINER ?? '');

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://relay');
  if (answerLifecycle(req, res, url.pathname, `127.0.0.1:${(server.address() as AddressInfo).port}`)) return;
  if (url.pathname.endsWith('/files/upload')) return void intoStdin(req, res).catch((e: Error) => res.destroy(e));
  if (!url.pathname.endsWith('/files/download')) return notFound(res, url.pathname);
  void relay(url.searchParams.get('path') ?? '', res).catch((e: Error) => res.destroy(e));
});

async function relay(path: string, res: ServerResponse): Promise<void> {
  const archive = (await container.getArchive({ path })) as unknown as Readable;
  let head = Buffer.alloc(0);
  let left = -1;
  archive.on('data', (chunk: Buffer) => {
    let piece = chunk;
    if (left < 0) {
      head = Buffer.concat([head, piece]);
      if (head.length < TAR_BLOCK) return;
      left = parseInt(head.subarray(124, 136).toString('latin1').trim(), 8); // ustar size field, octal
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
      piece = head.subarray(TAR_BLOCK);
    }
    if (piece.length > left) piece = piece.subarray(0, left);
    left -= piece.length;
    if (piece.length > 0) res.write(piece);
    if (left === 0) {
      res.end();
      archive.destroy();
    }
  });
}

/**
 * The least a streaming upload can do: the request body, multipart framing and all (no parsing), piped as it
 * arrives into an exec's stdin, `dd` writing it in the sandbox, the answer once the exec has ended.
 */
async function intoStdin(req: IncomingMessage, res: ServerResponse): Promise<void> {
  await (await ddStdin(container, '/tmp/relay-upload.bin')).pipe(req);
  res.writeHead(200, { 'content-length': 0 }).end();
}

server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
