/**
 * The domain's one error type. `kind` decides the HTTP status (src/http/errors.ts holds the only table);
 * `code` is the wire code clients see, kept identical to upstream OpenSandbox's where one exists.
 * Messages must never carry secrets, SQL or stack traces: they go to clients verbatim.
 */
export type ErrorKind =
  | 'invalid' // 400
  | 'unauthenticated' // 401
  | 'not_found' // 404
  | 'conflict' // 409
  | 'runtime' // 500: Docker, mount tool or other dependency failed
  | 'upstream' // 502: a sandbox's own service (behind the server proxy) could not be reached
  | 'unavailable' // 503
  | 'not_implemented'; // 501

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: string, message: string) => new DomainError('invalid', code, message);
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message);
export const runtimeFailure = (code: string, message: string) => new DomainError('runtime', code, message);

export const sandboxNotFound = (id: string) => notFound('DOCKER::SANDBOX_NOT_FOUND', `Sandbox ${id} not found.`);

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
