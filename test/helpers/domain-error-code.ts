import { DomainError } from '../../src/domain/errors.js';

/** `kind:code` of the DomainError `fn` throws, or 'ok' when it returns; any other throw is rethrown. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return domainCode(err);
  }
  return 'ok';
}

/** codeOf for a promise: `kind:code` of the DomainError it rejects with, or 'ok' when it resolves. */
export async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return domainCode(err);
  }
  return 'ok';
}

function domainCode(err: unknown): string {
  if (err instanceof DomainError) return `${err.kind}:${err.code}`;
  throw err;
}
