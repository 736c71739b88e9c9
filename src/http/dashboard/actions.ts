import type { Context } from 'hono';
import type { Config } from '../../config.js';
import { isDomainError } from '../../domain/errors.js';
import { backTo } from './layout.js';
import { dashboardActor, readForm } from './session.js';

export type ActionContext = { form: Record<string, string>; actor: string };

/**
 * Every dashboard form post goes through here: the origin and CSRF checks first (403 and nothing done when
 * either fails), then the one domain verb, then back to a page with a notice. A domain refusal (a 409 for
 * pausing a paused sandbox, a 400 for a bad label) is shown on the page it came from, not as an error page.
 */
export async function runAction(
  c: Context,
  config: Pick<Config, 'publicUrl'>,
  from: string,
  act: (a: ActionContext) => Promise<{ to?: string; ok: string }>,
): Promise<Response> {
  const form = await readForm(c, config);
  if (!form) return c.text('Form refused: missing or wrong CSRF token, or posted from another site.', 403);
  try {
    const done = await act({ form, actor: dashboardActor(c.get('dashboardSession')) });
    return backTo(c, done.to ?? from, { ok: done.ok });
  } catch (err) {
    if (isDomainError(err)) return backTo(c, from, { error: `${err.code}: ${err.message}` });
    throw err;
  }
}
