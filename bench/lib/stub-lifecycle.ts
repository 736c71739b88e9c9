import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The lifecycle answers the SDK needs before a file call (create, get, the execd endpoint), for a stub server
 * on loopback that stands in for berth. Answers and returns true when `path` is one of them.
 */
export function answerLifecycle(req: IncomingMessage, res: ServerResponse, path: string, selfAddress: string): boolean {
  const json = (body: unknown, status = 200) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sandbox = { id: 'stub', status: { state: 'Running' }, metadata: {}, entrypoint: ['x'], image: { uri: 'x' }, createdAt: new Date().toISOString() };
  if (req.method === 'POST' && path.endsWith('/sandboxes')) json(sandbox, 202);
  else if (path.includes('/endpoints/')) json({ endpoint: `${selfAddress}/stub` });
  else if (path.endsWith('/sandboxes/stub')) json(sandbox);
  else return false;
  return true;
}

export const notFound = (res: ServerResponse, path: string) => {
  const text = JSON.stringify({ code: 'NOT_FOUND', message: path });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
};
