/**
 * True when an error means the database could not be reached or dropped the connection, not that a
 * statement was wrong: the caller may answer 503 and try again later. Walks `.cause` (drizzle wraps the
 * driver's error in a DrizzleQueryError that quotes the SQL).
 *
 * - SQLSTATE class 08 (connection exception), 57P01 admin shutdown (pg_terminate_backend, a fast
 *   shutdown), 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down), 53300 too many
 *   connections;
 * - postgres.js's own codes for a connection it lost or could not make;
 * - Node's socket errors (refused, reset, timed out, broken pipe, host unreachable).
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || CODES.has(code))) return true;
  }
  return false;
}

const CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
