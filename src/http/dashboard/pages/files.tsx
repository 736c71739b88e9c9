import { Readable } from 'node:stream';
import type { Context, Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { downloadFile } from '../../../domain/execd/files/download.js';
import { listDirectory } from '../../../domain/execd/files/list.js';
import { deleteAsOperator, uploadAsOperator } from '../../../domain/dashboard/sandbox-access.js';
import { isDomainError } from '../../../domain/errors.js';
import { STATUS_BY_KIND } from '../../errors.js';
import { contentDisposition } from '../../routes/execd/files.js';
import { runAction } from '../actions.js';
import { DataTable } from '../components.js';
import { csrfField, href, page, PostForm, when } from '../layout.js';
import { pathParam } from '../params.js';
import { dashboardActor, sameOrigin } from '../session.js';

const parentOf = (p: string) => (p === '/' ? '/' : p.slice(0, p.lastIndexOf('/')) || '/');

/** The CSRF token of a script-made request (the upload builds execd's multipart body, so it cannot carry a form field). */
function csrfHeaderOk(c: Context, deps: Deps): boolean {
  const token = c.req.header('x-berth-csrf');
  return sameOrigin(c, deps.config) && token !== undefined && token === c.get('dashboardSession').csrf;
}

const mib = (bytes: number) => `${Math.floor(bytes / 1024 / 1024)} MiB`;

/**
 * A file browser over the execd files verbs (the same ones /proxy/44772/files/* serves): list a directory,
 * download a file, upload into the directory shown, delete an entry after asking.
 */
export function registerFilePages(app: Hono, deps: Deps): void {
  app.get(href('/sandboxes/:id/files'), async (c) => {
    const id = pathParam(c);
    const dir = c.req.query('path') || '/';
    const entries = (await listDirectory(deps, id, dir, '1')).sort((a, b) =>
      a.type === b.type ? a.path.localeCompare(b.path) : a.type === 'directory' ? -1 : 1,
    );
    const base = href(`/sandboxes/${id}/files`);
    const link = (p: string) => `${base}?path=${encodeURIComponent(p)}`;
    const content = (
      <>
        <h1>
          Files of{' '}
          <a class="mono" href={href(`/sandboxes/${id}`)}>
            {id}
          </a>
        </h1>
        <p>
          Directory{' '}
          <span class="mono" data-testid="cwd">
            {dir}
          </span>
          {dir !== '/' && (
            <>
              {' · '}
              <a href={link(parentOf(dir))}>Up one level</a>
            </>
          )}
        </p>
        <form class="filters" id="upload-form" data-upload={`${base}/upload`} data-dir={dir} data-max={String(deps.config.execdMaxUploadBytes)}>
          {csrfField(c)}
          <label>
            Upload a file here (up to {mib(deps.config.execdMaxUploadBytes)}) <input type="file" name="file" required />
          </label>
          <button type="submit" class="secondary">
            Upload
          </button>
          <span role="status" id="upload-status"></span>
        </form>
        <DataTable
          caption={`Entries of ${dir}`}
          columns={['Name', 'Type', 'Size', { label: 'Mode', hideSm: true }, { label: 'Owner', hideSm: true }, 'Modified', { label: 'Actions', srOnly: true }]}
        >
          {entries.map((e) => {
            const name = e.path.slice(e.path.lastIndexOf('/') + 1);
            return (
              <tr data-entry={e.path}>
                <td class="mono">
                  {e.type === 'directory' ? (
                    <a href={link(e.path)}>{name}/</a>
                  ) : e.type === 'file' ? (
                    <a href={`${base}/download?path=${encodeURIComponent(e.path)}`} download>
                      {name}
                    </a>
                  ) : (
                    name
                  )}
                </td>
                <td>{e.type}</td>
                <td>{e.size}</td>
                <td class="hide-sm">{e.mode}</td>
                <td class="hide-sm">
                  {e.owner}:{e.group}
                </td>
                <td>{when(e.modified_at)}</td>
                <td>
                  <a href={`${base}/delete?path=${encodeURIComponent(e.path)}`} aria-label={`Delete ${name}`}>
                    Delete
                  </a>
                </td>
              </tr>
            );
          })}
        </DataTable>
      </>
    );
    return c.html(page(c, { title: `Files ${dir}`, nav: 'sandboxes' }, content));
  });

  app.get(href('/sandboxes/:id/files/download'), async (c) => {
    const d = await downloadFile(deps, pathParam(c), c.req.query('path'), undefined);
    if (d.kind !== 'ok') return c.text('Range not satisfiable.', 416);
    return c.body(d.body, 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': contentDisposition(d.name),
      'Content-Length': String(d.size),
    });
  });

  // Exempt from the app's 1 MiB body limit (src/app.ts): execd's upload verb spools each file to disk and
  // refuses an upload past BERTH_EXECD_MAX_UPLOAD_BYTES with 413. The script shows what this answers as
  // text, so a refusal is a sentence here, not an error page.
  app.post(href('/sandboxes/:id/files/upload'), async (c) => {
    if (!csrfHeaderOk(c, deps)) return c.text('Refused: missing or wrong CSRF token, or posted from another site.', 403);
    const web = c.req.raw.body;
    const body = web ? Readable.fromWeb(web as import('node:stream/web').ReadableStream<Uint8Array>) : null;
    try {
      await uploadAsOperator(deps, pathParam(c), { contentType: c.req.header('content-type'), body }, dashboardActor(c.get('dashboardSession')));
    } catch (err) {
      if (!isDomainError(err)) throw err;
      const limit = err.kind === 'too_large' ? ` The limit is ${mib(deps.config.execdMaxUploadBytes)} (BERTH_EXECD_MAX_UPLOAD_BYTES).` : '';
      return c.text(`${err.message}${limit}`, STATUS_BY_KIND[err.kind]);
    }
    return c.body(null, 204, { 'Content-Length': '0' });
  });

  // Deleting asks first, on a page of its own (works without script and by keyboard alone), as a sandbox's does.
  app.get(href('/sandboxes/:id/files/delete'), (c) => {
    const id = pathParam(c);
    const path = c.req.query('path') ?? '';
    const back = `${href(`/sandboxes/${id}/files`)}?path=${encodeURIComponent(parentOf(path))}`;
    return c.html(
      page(
        c,
        { title: `Delete ${path}`, nav: 'sandboxes' },
        <>
          <h1>
            Delete <span class="mono">{path}</span>?
          </h1>
          <p>A directory is removed with everything in it. This cannot be undone.</p>
          <PostForm c={c} action={href(`/sandboxes/${id}/files/delete`)} class="actions">
            <input type="hidden" name="path" value={path} />
            <button type="submit" class="danger">
              Delete
            </button>
            <a href={back}>Cancel</a>
          </PostForm>
        </>,
      ),
    );
  });
  app.post(href('/sandboxes/:id/files/delete'), (c) =>
    runAction(c, deps.config, `/sandboxes/${pathParam(c)}/files`, async ({ form, actor }) => {
      const path = form.path ?? '';
      await deleteAsOperator(deps, pathParam(c), path, actor);
      return { to: `/sandboxes/${pathParam(c)}/files?path=${encodeURIComponent(parentOf(path))}`, ok: `Deleted ${path}.` };
    }),
  );
}
