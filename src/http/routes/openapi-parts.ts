import { requestIdHeader } from '../errors.js';

// The pieces every OpenAPI route definition (routes/<group>.openapi.ts) is built from, so each group documents
// its bodies, answers and headers the same way. Errors come from errorResponses(codes) in ../errors.ts.

export const jsonContent = <T>(schema: T) => ({ 'application/json': { schema } });

/**
 * A required JSON body. `required: true` matters: without it a request with the wrong Content-Type
 * validates as {} instead of being refused.
 */
export const jsonBody = <T>(schema: T) => ({ required: true, content: jsonContent(schema) });

/** A JSON body the client may leave out (validated when sent). */
export const optionalJsonBody = <T>(schema: T) => ({ required: false, content: jsonContent(schema) });

/** A 2xx with a JSON body and the request id header. */
export const ok = <T>(description: string, schema: T) => ({ description, headers: requestIdHeader, content: jsonContent(schema) });

/** A 2xx without a body. */
export const empty = (description: string) => ({ description, headers: requestIdHeader });
