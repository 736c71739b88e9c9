import { isDatabaseUnreachable } from '../db/unavailable.js';
import { DomainError, isDomainError } from './errors.js';

export const databaseUnavailable = () => new DomainError('unavailable', 'DATABASE::UNAVAILABLE', 'The database is not reachable; try again shortly.');

/**
 * The DomainError an error stands for: itself, or DATABASE::UNAVAILABLE (503) when a query failed because the
 * database connection was lost or refused (src/db/unavailable.ts). Anything else is undefined: a real bug,
 * for the caller to log and answer 500.
 */
export function knownError(err: unknown): DomainError | undefined {
  if (isDomainError(err)) return err;
  if (isDatabaseUnreachable(err)) return databaseUnavailable();
  return undefined;
}
