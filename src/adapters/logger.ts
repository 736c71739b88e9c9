import { pino } from 'pino';
import type { Logger } from '../domain/ports.js';

/**
 * Field names whose values are secrets wherever they appear in a log object (invariant 7). Code should
 * not log them in the first place; this is the net under that rule.
 */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'accessKeySecret',
  '*.accessKeySecret',
  '*.*.accessKeySecret',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'headers["open-sandbox-api-key"]',
  'headers.authorization',
  '*.headers["open-sandbox-api-key"]',
  '*.headers.authorization',
];

/** JSON lines on stdout (one object per line), level from config. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'berth' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
