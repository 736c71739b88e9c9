import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Deps } from '../../domain/deps.js';
import { isDomainError } from '../../domain/errors.js';
import { alreadyConnected, preparePtyConnect } from '../../domain/execd/pty/verbs.js';
import { originIsOwn, sessionFromCookieHeader, sessionKeys } from '../dashboard/session.js';
import { API_KEY_HEADER, INVALID_API_KEY, MISSING_API_KEY } from '../middleware/auth.js';
import { STATUS_BY_KIND } from '../errors.js';
import { parseProxyRequest } from './proxy-path.js';
import { bindPtySocket } from './pty-socket.js';

export type PtyUpgradeDeps = Pick<Deps, 'db' | 'config' | 'log' | 'exec' | 'clock' | 'ids' | 'dashboardSigner'>;
export type Reject = (socket: Duplex, status: number, body: { code: string; message: string }) => void;

const PTY_WS = /^\/pty\/([^/]+)\/ws$/;

/** Stdin frames are keystrokes and pastes: 1 MiB is generous, and bounds what one frame can make us buffer. */
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

/**
 * An upgrade on the execd port: berth serves execd itself, so it is never tunnelled into the container.
 * Only `/pty/{id}/ws` upgrades; everything is checked before the handshake is answered (the API key first,
 * as the HTTP middleware does, then sandbox, session, holder, shell start), so a refused client gets an
 * HTTP error with a JSON body and nothing has started for it.
 */
export async function handleExecdUpgrade(deps: PtyUpgradeDeps, req: IncomingMessage, socket: Duplex, head: Buffer, reject: Reject): Promise<void> {
  const denied = await authFailure(deps, req);
  if (denied) return reject(socket, 401, denied);
  try {
    const parsed = parseProxyRequest(req.url ?? '/');
    const url = new URL(parsed?.path ?? '/', 'http://execd');
    const m = PTY_WS.exec(url.pathname);
    if (!parsed || !m) return reject(socket, 404, { code: 'NOT_FOUND', message: `No execd WebSocket route ${url.pathname}.` });
    const id = safeDecode(m[1]!);
    const takeover = url.searchParams.get('takeover') === '1';
    const since = Number(url.searchParams.get('since') ?? 0);
    const mode = url.searchParams.get('pty') === '0' ? 'pipe' : 'pty';
    const session = await preparePtyConnect(deps, parsed.sandboxId, id, { mode, takeover });
    if (socket.destroyed) return;
    // Re-checked with no await before the handshake: a connect that won meanwhile holds the session.
    if (!session.canAttach(takeover)) throw alreadyConnected(id);
    // handleUpgrade answers synchronously (no verifyClient), so nothing runs between the check and attach.
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => bindPtySocket(ws, session, Number.isFinite(since) ? since : 0, deps.log));
  } catch (err) {
    if (isDomainError(err)) return reject(socket, STATUS_BY_KIND[err.kind], { code: err.code, message: err.message });
    deps.log.error({ err: String(err) }, 'pty upgrade failed');
    reject(socket, 500, { code: 'GENERAL::UNKNOWN_ERROR', message: 'An unexpected error occurred.' });
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The API key check of middleware/auth.ts (both sides hashed, then timingSafeEqual: no length or content
 * leak), or, for the dashboard's terminal, whose browser WebSocket cannot send the key header: a live
 * dashboard session cookie on a request whose Origin is this server's own (a page on another site could
 * otherwise open the socket with the operator's cookie: cross-site WebSocket hijacking).
 */
async function authFailure(deps: PtyUpgradeDeps, req: IncomingMessage): Promise<{ code: string; message: string } | null> {
  const { config } = deps;
  if (!config.apiKey) return config.insecureNoAuth ? null : MISSING_API_KEY;
  const presented = req.headers[API_KEY_HEADER.toLowerCase()];
  const key = Array.isArray(presented) ? presented[0] : presented;
  if (!key) return (await dashboardSessionOk(deps, req)) ? null : MISSING_API_KEY;
  return timingSafeEqual(digest(key), digest(config.apiKey)) ? null : INVALID_API_KEY;
}

/** A signed-out session's cookie is refused here too; a database that cannot say so refuses (fails closed). */
async function dashboardSessionOk(deps: PtyUpgradeDeps, req: IncomingMessage): Promise<boolean> {
  if (!originIsOwn(req.headers.origin, deps.config.publicUrl, req.headers.host?.toLowerCase())) return false;
  const session = await sessionFromCookieHeader(req.headers.cookie, sessionKeys(deps), deps.clock.now().getTime()).catch(() => null);
  return session !== null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
