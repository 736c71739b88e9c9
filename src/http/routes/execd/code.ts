import type { Context, Hono } from 'hono';
import { errorJson } from '../../errors.js';

/**
 * The code interpreter (/code, /code/context[s]) needs a Jupyter server inside the image, which berth's
 * sandboxes do not have: every route answers 501 NOT_SUPPORTED with a JSON body, never a bare 404.
 */
export function registerCodeRoutes(app: Hono): void {
  const notSupported = (c: Context) =>
    errorJson(c, 501, 'NOT_SUPPORTED', 'The code interpreter is not supported by this server: it needs a Jupyter server in the sandbox image.');
  for (const path of ['/code', '/code/context', '/code/contexts', '/code/contexts/*']) app.all(path, notSupported);
}
