import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { invalid } from '../../../domain/errors.js';
import { deleteSandbox } from '../../../domain/sandbox/delete-sandbox.js';
import { getSandbox } from '../../../domain/sandbox/get-sandbox.js';
import { patchSandboxMetadata } from '../../../domain/sandbox/patch-metadata.js';
import { pauseSandbox, resumeSandbox } from '../../../domain/sandbox/pause-resume.js';
import { renewSandbox } from '../../../domain/sandbox/renew-sandbox.js';
import { runAction } from '../actions.js';
import { pathParam } from '../params.js';
import { parsePairs } from '../components.js';
import { href, page, PostForm } from '../layout.js';

/** The metadata editor sends the whole map; the API's verb takes a merge patch: removed keys become null. */
function mergePatch(before: Record<string, string>, after: Record<string, string>): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const k of Object.keys(before)) if (!(k in after)) patch[k] = null;
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) patch[k] = v;
  return patch;
}

/** The sandbox page's forms. Each calls the API's own verb with the session as the actor of its event. */
export function registerSandboxActions(app: Hono, deps: Deps): void {
  const at = (id: string) => `/sandboxes/${id}`;
  app.post(href('/sandboxes/:id/pause'), (c) =>
    runAction(c, deps.config, at(pathParam(c)), async ({ actor }) => {
      await pauseSandbox(deps, pathParam(c), actor);
      return { ok: 'Paused.' };
    }),
  );
  app.post(href('/sandboxes/:id/resume'), (c) =>
    runAction(c, deps.config, at(pathParam(c)), async ({ actor }) => {
      await resumeSandbox(deps, pathParam(c), actor);
      return { ok: 'Resumed.' };
    }),
  );
  app.post(href('/sandboxes/:id/renew'), (c) =>
    runAction(c, deps.config, at(pathParam(c)), async ({ form, actor }) => {
      const minutes = /^\d{1,6}$/.test(form.minutes ?? '') ? Number(form.minutes) : 0;
      if (minutes < 1) throw invalid('SANDBOX::INVALID_PARAMETER', 'Minutes must be a whole number of at least 1.');
      const until = await renewSandbox(deps, pathParam(c), new Date(deps.clock.now().getTime() + minutes * 60_000), actor);
      return { ok: `Renewed until ${until.toISOString()}.` };
    }),
  );
  app.post(href('/sandboxes/:id/metadata'), (c) =>
    runAction(c, deps.config, at(pathParam(c)), async ({ form, actor }) => {
      const { pairs, bad } = parsePairs(form.metadata ?? '');
      if (bad) throw invalid('SANDBOX::INVALID_METADATA_LABEL', `"${bad}" is not key=value.`);
      const id = pathParam(c);
      const before = await getSandbox(deps, id);
      await patchSandboxMetadata(deps, id, mergePatch(before.metadata, pairs), actor);
      return { ok: 'Metadata saved.' };
    }),
  );
  // Deleting asks first, on a page of its own: it works without script and by keyboard alone.
  app.get(href('/sandboxes/:id/delete'), async (c) => {
    const s = await getSandbox(deps, pathParam(c));
    return c.html(
      page(
        c,
        { title: `Delete ${s.id}`, nav: 'sandboxes' },
        <>
          <h1>
            Delete sandbox <span class="mono">{s.id}</span>?
          </h1>
          <p>The container is removed and its volumes released. This cannot be undone.</p>
          <PostForm c={c} action={href(`/sandboxes/${s.id}/delete`)} class="actions">
            <button type="submit" class="danger">
              Delete sandbox
            </button>
            <a href={href(`/sandboxes/${s.id}`)}>Cancel</a>
          </PostForm>
        </>,
      ),
    );
  });
  app.post(href('/sandboxes/:id/delete'), (c) =>
    runAction(c, deps.config, at(pathParam(c)), async ({ actor }) => {
      await deleteSandbox(deps, pathParam(c), actor);
      return { to: '/sandboxes', ok: `Deleted ${pathParam(c)}.` };
    }),
  );
}
