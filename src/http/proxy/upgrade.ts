import { isDashboardHost, SANDBOX_CONTENT_REFUSED } from '../dashboard/dashboard-host.js';
import { ServerResponse, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CONNECT_TIMEOUT_MS, upstreamUnavailable } from './forward.js';
import { hostPort, pairsOfRaw, requestHeaders } from './headers.js';
import type { Deps } from '../../domain/deps.js';
import { isDomainError } from '../../domain/errors.js';
import { resolveProxyTarget } from '../../domain/sandbox/proxy-target.js';
import { STATUS_BY_KIND } from '../errors.js';
import { isExecdPath, isProxyPath, parseProxyRequest } from './proxy-path.js';
import { handleExecdUpgrade, type PtyUpgradeDeps } from './pty-upgrade.js';

/**
 * WebSocket (any Upgrade) through the server proxy. @hono/node-server never hands an upgrade to the app,
 * so this listens on the node server itself: same path rules and the same target verb as the HTTP route,
 * then a raw TCP tunnel: the request head is rewritten (path, Host, stripped headers) and written to the
 * target, which answers the handshake itself; after that bytes flow both ways untouched.
 *
 * Node routes EVERY request carrying `Upgrade` here once a listener exists, not only WebSockets: Java's
 * HttpClient, for one, asks for `Upgrade: h2c` on plain-HTTP API calls. Those (any non-proxy path) are
 * served as the ordinary HTTP/1.1 requests they also are, the upgrade ignored as RFC 9110 §7.8 allows;
 * only one carrying a body, which node has already cut off as upgrade data, is dropped.
 */
export function attachProxyUpgrade(server: Pick<Server, 'on' | 'emit'>, deps: Pick<Deps, 'db' | 'config' | 'log' | 'runtime'> & PtyUpgradeDeps): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // berth IS execd (the PTY WebSocket): never tunnel the execd port into the container, proxy on or off.
    if (isExecdPath((req.url ?? '/').split('?')[0]!)) return void handleExecdUpgrade(deps, req, socket, head, reject);
    if (!deps.config.serverProxy || !isProxyPath((req.url ?? '/').split('?')[0]!)) return serveWithoutUpgrade(server, req, socket, head);
    if (isDashboardHost(req.headers.host, deps.config)) return reject(socket, 404, { code: 'GENERAL::NOT_FOUND', message: SANDBOX_CONTENT_REFUSED });
    void tunnel(deps, req, socket, head).catch((err) => {
      if (isDomainError(err)) return reject(socket, STATUS_BY_KIND[err.kind], { code: err.code, message: err.message });
      deps.log.error({ err: String(err) }, 'proxy upgrade failed');
      reject(socket, 500, { code: 'GENERAL::UNKNOWN_ERROR', message: 'An unexpected error occurred.' });
    });
  });
}

async function tunnel(deps: Pick<Deps, 'db' | 'config' | 'log' | 'runtime'>, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const parsed = parseProxyRequest(req.url ?? '/');
  if (!parsed) return void socket.destroy();
  const target = await resolveProxyTarget(deps, parsed.sandboxId, parsed.port);
  const upstream = await open(target.host, target.port);
  if (socket.destroyed) return void upstream.destroy(); // the client gave up while we connected

  const upgrade = String(req.headers.upgrade ?? 'websocket');
  const local = req.socket;
  const headers = requestHeaders(
    pairsOfRaw(req.rawHeaders),
    hostPort(target.host, target.port),
    {
      for: local.remoteAddress,
      proto: 'encrypted' in local && local.encrypted ? 'https' : 'http',
      host: req.headers.host,
    },
    upgrade,
  );
  const lines = [`${req.method ?? 'GET'} ${parsed.path} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) upstream.write(head);

  const closeBoth = () => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on('error', closeBoth).on('close', closeBoth);
  socket.on('error', closeBoth).on('close', closeBoth);
  upstream.pipe(socket);
  socket.pipe(upstream);
}

/** A connected socket, or the 502 DomainError (never the address or errno: they describe the host). */
function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, rejectP) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => s.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    // Stays attached: an error after connecting is handled by the tunnel's own listeners (a no-op here).
    s.on('error', () => {
      clearTimeout(timer);
      rejectP(upstreamUnavailable());
    });
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
  });
}

/** A plain HTTP answer on the raw socket, then close: the handshake never happened. */
function reject(socket: Duplex, status: number, body: { code: string; message: string }): void {
  if (socket.destroyed) return;
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/** Hand a non-proxy request back to the app as a plain HTTP/1.1 exchange on this socket, then close. */
function serveWithoutUpgrade(server: Pick<Server, 'emit'>, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const hasBody = head.length > 0 || Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) return void socket.destroy();
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  server.emit('request', req, res);
}
