import type { ServerProc } from '../../test/helpers/server.js';

/**
 * The server's own view of requests: its access log line ({msg:"request", requestId, durationMs}) for
 * every request whose X-Request-ID starts with `prefix`. Client time minus this is HTTP + client cost.
 */
export function serverDurations(server: ServerProc, prefix: string): number[] {
  const out: number[] = [];
  for (const line of server.lines) {
    if (!line.includes(prefix)) continue;
    try {
      const j = JSON.parse(line) as { msg?: string; requestId?: string; durationMs?: number };
      if (j.msg === 'request' && j.requestId?.startsWith(prefix) && typeof j.durationMs === 'number') out.push(j.durationMs);
    } catch {
      /* not JSON */
    }
  }
  return out;
}
