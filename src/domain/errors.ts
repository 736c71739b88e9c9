import type { CodeOf, ErrorCode, ErrorKind } from './error-codes.js';

export type { ErrorCode, ErrorKind } from './error-codes.js';

/**
 * The domain's one error type. `kind` decides the HTTP status (src/http/errors.ts holds the only table);
 * `code` is the wire code clients see, one of ./error-codes.ts, kept identical to upstream OpenSandbox's where one
 * exists. Messages must never carry secrets, SQL or stack traces: they go to clients verbatim.
 */
export class DomainError<K extends ErrorKind = ErrorKind> extends Error {
  constructor(
    readonly kind: K,
    readonly code: CodeOf<K>,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: CodeOf<'invalid'>, message: string) => new DomainError('invalid', code, message);
export const notFound = (code: CodeOf<'not_found'>, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: CodeOf<'conflict'>, message: string) => new DomainError('conflict', code, message);
export const runtimeFailure = (code: CodeOf<'runtime'>, message: string) => new DomainError('runtime', code, message);

export const sandboxNotFound = (id: string) => notFound('DOCKER::SANDBOX_NOT_FOUND', `Sandbox ${id} not found.`);

export function isDomainError(e: unknown): e is DomainError & { code: ErrorCode } {
  return e instanceof DomainError;
}
