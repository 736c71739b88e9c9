import { Readable } from 'node:stream';
import type { Context, Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { downloadFile } from '../../../domain/execd/files/download.js';
import { getFilesInfo } from '../../../domain/execd/files/info.js';
import { listDirectory, searchFiles } from '../../../domain/execd/files/list.js';
import { createDirectories } from '../../../domain/execd/files/mkdir.js';
import { moveFiles } from '../../../domain/execd/files/move.js';
import { setPermissions } from '../../../domain/execd/files/permissions.js';
import { deleteDirectories, deleteFiles } from '../../../domain/execd/files/remove.js';
import { replaceContents } from '../../../domain/execd/files/replace.js';
import { uploadFiles } from '../../../domain/execd/files/upload.js';
import { z } from 'zod';
import { errorJson } from '../../errors.js';
import { readBody } from './body.js';
import { sandboxIdOf } from './index.js';

/** An empty success: the SDK parses any 2xx body that is not explicitly empty as JSON. */
const empty = (c: Context) => c.body(null, 200, { 'Content-Length': '0' });

/** The file verbs check their bodies' shapes themselves; this reads one as JSON (400 INVALID_REQUEST_BODY if it is not). */
const jsonOf = (c: Context) => readBody(c, z.unknown());
const paths = (c: Context) => c.req.queries('path') ?? [];

/** execd's files and directories API (DESIGN.md execd §6), served through the engine's archive API and, for delete/move/chmod, the image's tools. */
export function registerFileRoutes(app: Hono, deps: Deps): void {
  app.get('/files/info', async (c) => c.json(await getFilesInfo(deps, sandboxIdOf(c), paths(c))));
  app.get('/directories/list', async (c) => c.json(await listDirectory(deps, sandboxIdOf(c), paths(c)[0], c.req.query('depth'))));
  app.get('/files/search', async (c) => c.json(await searchFiles(deps, sandboxIdOf(c), paths(c)[0], c.req.query('pattern'))));

  app.post('/files/upload', async (c) => {
    // The node request itself when served by @hono/node-server (no web-stream round trip for large bodies);
    // app.request() in tests has only the web body.
    const incoming = (c.env as { incoming?: Readable } | undefined)?.incoming;
    const web = () => c.req.raw.body; // touched only without `incoming`: reading it starts consuming the request
    const body = incoming ?? (web() ? Readable.fromWeb(web() as import('node:stream/web').ReadableStream<Uint8Array>) : null);
    await uploadFiles(deps, sandboxIdOf(c), { contentType: c.req.header('content-type'), body });
    return empty(c);
  });

  app.get('/files/download', async (c) => {
    const d = await downloadFile(deps, sandboxIdOf(c), paths(c)[0], c.req.header('range'));
    if (d.kind === 'unsatisfiable') {
      c.header('Content-Range', `bytes */${d.size}`);
      // upstream's code for a bad range (its handler maps it to 416 UNKNOWN)
      return errorJson(c, 416, 'UNKNOWN', `The requested range is not satisfiable for a file of ${d.size} bytes.`);
    }
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': contentDisposition(d.name),
      'Accept-Ranges': 'bytes',
      'Content-Length': String(d.range ? d.range.end - d.range.start + 1 : d.size),
    };
    if (d.range) headers['Content-Range'] = `bytes ${d.range.start}-${d.range.end}/${d.size}`;
    return c.body(d.body, d.range ? 206 : 200, headers);
  });

  app.post('/directories', async (c) => (await createDirectories(deps, sandboxIdOf(c), await jsonOf(c)), empty(c)));
  app.post('/files/permissions', async (c) => (await setPermissions(deps, sandboxIdOf(c), await jsonOf(c)), empty(c)));
  app.post('/files/replace', async (c) => {
    const counts = await replaceContents(deps, sandboxIdOf(c), await jsonOf(c));
    return c.req.query('verbose') === 'true' ? c.json(counts) : empty(c);
  });
  app.post('/files/mv', async (c) => (await moveFiles(deps, sandboxIdOf(c), await jsonOf(c)), empty(c)));
  app.delete('/files', async (c) => (await deleteFiles(deps, sandboxIdOf(c), paths(c)), empty(c)));
  app.delete('/directories', async (c) => (await deleteDirectories(deps, sandboxIdOf(c), paths(c)), empty(c)));
}

/** `attachment; filename="..."`, plus RFC 5987 `filename*` when the name is not plain ASCII. */
export function contentDisposition(name: string): string {
  const plain = /^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name);
  if (plain) return `attachment; filename="${name}"`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
