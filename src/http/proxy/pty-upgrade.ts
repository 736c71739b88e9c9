import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Deps } from '../../domain/deps.js';
import { isDomainError } from '../../domain/errors.js';
import { alreadyConnected, preparePtyConnect } from '../../domain/execd/pty/verbs.js';
import { originIsOwn, SESSION_RECHECK_MS, sessionFromCookieHeader, sessionKeys, type DashboardSession } from '../dashboard/session.js';
import { API_KEY_HEADER, INVALID_API_KEY, MISSING_API_KEY } from '../middleware/auth.js';
import { STATUS_BY_KIND } from '../errors.js';
import { parseProxyRequest } from './proxy-path.js';
import { bindPtySocket } from './pty-socket.js';

export type PtyUpgradeDeps = Pick<Deps, 'db' | 'config' | 'log' | 'exec' | 'clock' | 'ids' | 'dashboardSigner'>;
export type Reject = (socket: Duplex, status: number, body: { code: string; message: string }) => void;

const PTY_WS = /^\/pty\/([^/]+)\/ws$/;
/** The close code of a terminal whose dashboard session ended (4001 is upstream's TAKEN_OVER). */
export const SESSION_ENDED_CLOSE_CODE = 4003;

/** Stdin frames are keystrokes and pastes: 1 MiB is generous, and bounds what one frame can make us buffer. */
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

/**
 * An upgrade on the execd port: berth serves execd itself, so it is never tunnelled into the container.
 * Only `/pty/{id}/ws` upgrades; everything is checked before the handshake is answered (the API key first,
 * as the HTTP middleware does, then sandbox, session, holder, shell start), so a refused client gets an
 * HTTP error with a JSON body and nothing has started for it.
 */
export async function handleExecdUpgrade(deps: PtyUpgradeDeps, req: IncomingMessage, socket: Duplex, head: Buffer, reject: Reject): Promise<void> {
  const auth = await authenticate(deps, req);
  if ('denied' in auth) return reject(socket, 401, auth.denied);
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
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      bindPtySocket(ws, session, Number.isFinite(since) ? since : 0, deps.log);
      if (auth.dashboard) closeWhenSessionEnds(deps, ws, auth.dashboard);
    });
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
async function authenticate(
  deps: PtyUpgradeDeps,
  req: IncomingMessage,
): Promise<{ denied: { code: string; message: string } } | { dashboard?: DashboardSession }> {
  const { config } = deps;
  if (!config.apiKey) return config.insecureNoAuth ? {} : { denied: MISSING_API_KEY };
  const presented = req.headers[API_KEY_HEADER.toLowerCase()];
  const key = Array.isArray(presented) ? presented[0] : presented;
  if (!key) {
    const dashboard = await dashboardSessionOf(deps, req);
    return dashboard ? { dashboard } : { denied: MISSING_API_KEY };
  }
  return timingSafeEqual(digest(key), digest(config.apiKey)) ? {} : { denied: INVALID_API_KEY };
}

/** A signed-out session's cookie is refused here too; a database that cannot say so refuses (fails closed). */
async function dashboardSessionOf(deps: PtyUpgradeDeps, req: IncomingMessage): Promise<DashboardSession | null> {
  if (!originIsOwn(req.headers.origin, deps.config.publicUrl, req.headers.host?.toLowerCase())) return null;
  return sessionFromCookieHeader(req.headers.cookie, sessionKeys(deps), deps.clock.now().getTime()).catch(() => null);
}

/**
 * A terminal opened with a dashboard session is closed once that session ends: signed out on any berth
 * process, or expired. Checked as often as the dashboard's event stream checks; a database that cannot
 * answer counts as ended (fails closed, as the connect does).
 */
function closeWhenSessionEnds(deps: PtyUpgradeDeps, ws: WebSocket, session: DashboardSession): void {
  const keys = sessionKeys(deps);
  const timer = setInterval(() => {
    const expired = session.expiresAt <= deps.clock.now().getTime();
    void (expired ? Promise.resolve(true) : keys.revoked(session.id).catch(() => true)).then((ended) => {
      if (ended) ws.close(SESSION_ENDED_CLOSE_CODE, 'SESSION_ENDED');
    });
  }, SESSION_RECHECK_MS);
  timer.unref();
  ws.once('close', () => clearInterval(timer));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
