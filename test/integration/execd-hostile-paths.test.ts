import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

// Paths with text the engine's archive API cannot be asked about (a lone UTF-16 surrogate has no UTF-8
// form): found by the fuzz tier as a 500 on upload, whose metadata is JSON the text guard never reads.
// Every execd path goes through sandboxPath, which now answers 400 (with the route's code).

const LONE = ['\ud800', 'a\udfffb', '/tmp/\ud83d'];

describe('execd paths with lone surrogates (real engine, Postgres)', () => {
  let t: ExecdApp;
  let sbx: string;
  beforeAll(async () => {
    t = await buildExecdApp('postgres');
    sbx = await t.createSandbox();
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectRefused = async (res: Response, code = 'INVALID_REQUEST_BODY') => {
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toEqual({ code, message: expect.stringContaining('surrogate') });
  };

  it.each(LONE)('upload metadata path %j', async (path) => {
    const form = new FormData();
    // JSON.stringify writes a lone surrogate as a \u escape, as a hostile client would send it
    form.append('metadata', new Blob([JSON.stringify({ path })]), 'metadata');
    form.append('file', new Blob(['x']), 'x');
    await expectRefused(await t.execd(sbx, '/files/upload', { method: 'POST', body: form }), 'INVALID_FILE_METADATA');
  });

  it.each(LONE)('mkdir and permissions keyed by %j', async (path) => {
    for (const route of ['/directories', '/files/permissions']) {
      const body = `{${JSON.stringify(path)}: {"mode": 755}}`;
      await expectRefused(await t.execd(sbx, route, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    }
  });

  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = async (res: Response) => ({ status: res.status, body: JSON.parse(await res.text()) });

  // Found by the fuzz tier as 500s: what the sandbox's own filesystem refuses is the request's doing.
  it('mv of / or into itself: 400 before any tool runs', async () => {
    expect(await answer(await t.execd(sbx, '/files/mv', json([{ src: '//', dest: '/tmp/x' }])))).toEqual({
      status: 400,
      body: { code: 'INVALID_REQUEST_BODY', message: expect.stringContaining('root') },
    });
    expect(await answer(await t.execd(sbx, '/files/mv', json([{ src: '/tmp', dest: '/tmp/inner/x' }])))).toEqual({
      status: 400,
      body: { code: 'INVALID_REQUEST_BODY', message: expect.stringContaining('into itself') },
    });
  });

  it('a tool the sandbox refuses (a busy bind mount): 409 RUNTIME_ERROR with its stderr', async () => {
    // Docker bind-mounts /etc/hosts into every container: rename(2) and unlink(2) answer EBUSY
    expect(await answer(await t.execd(sbx, '/files/mv', json([{ src: '/etc/hosts', dest: '/tmp/hosts' }])))).toEqual({
      status: 409,
      body: { code: 'RUNTIME_ERROR', message: expect.stringContaining('busy') },
    });
    expect(await answer(await t.execd(sbx, `/files?path=${encodeURIComponent('/etc/hosts')}`, { method: 'DELETE' }))).toEqual({
      status: 409,
      body: { code: 'RUNTIME_ERROR', message: expect.stringContaining('busy') },
    });
  });

  // Found by the fuzz tier: the engine answers a name beyond NAME_MAX with a bare 500
  it.each(['/files/download', '/files/info', '/directories/list'])('%s of a 256-byte name: 400', async (route) => {
    const res = await t.execd(sbx, `${route}?path=${encodeURIComponent(`/tmp/${'a'.repeat(256)}`)}`);
    expect(await answer(res)).toEqual({ status: 400, body: { code: expect.any(String), message: expect.stringContaining('255 bytes') } });
  });

  // Found by the fuzz tier: this killed the server (an unhandled rejection), so every later request failed
  it('an oversized metadata part ahead of a file part: 400 INVALID_FILE_METADATA, and the process lives', async () => {
    const form = new FormData();
    form.append('metadata', new Blob([JSON.stringify({ path: '/tmp/big', pad: 'x'.repeat(70_000) })]), 'metadata');
    form.append('file', new Blob([Buffer.alloc(2 * 1024 * 1024, 1)]), 'big');
    const res = await t.execd(sbx, '/files/upload', { method: 'POST', body: form });
    expect(await answer(res)).toEqual({ status: 400, body: { code: 'INVALID_FILE_METADATA', message: expect.stringContaining('exceeds') } });
  });

  it('the sandbox still answers a good path', async () => {
    const res = await t.execd(sbx, `/files/info?path=${encodeURIComponent('/etc/passwd')}`);
    expect(res.status).toBe(200);
  });

  // Found by the fuzz tier: a request deleted the sandbox's shell through the files API; the next command
  // passed the (cached) shell check and the engine's OCI error came back as a 500.
  it('a background command after /bin/sh was deleted: 400 NOT_SUPPORTED (the foreground one streams exit 126)', async () => {
    const other = await t.createSandbox();
    expect((await t.execd(other, '/command', json({ command: 'true' }))).status).toBe(200);
    expect((await t.execd(other, `/files?path=${encodeURIComponent('/bin/sh')}`, { method: 'DELETE' })).status).toBe(200);
    const bg = await answer(await t.execd(other, '/command', json({ command: 'echo hi', background: true })));
    expect(bg).toEqual({ status: 400, body: { code: 'NOT_SUPPORTED', message: expect.stringContaining('/bin/sh') } });
    // in the foreground the engine starts the exec and reports the failure as output with exit 126
    const fg = await t.execd(other, '/command', json({ command: 'echo hi' }));
    expect(fg.status).toBe(200);
    expect(await fg.text()).toContain('"evalue":"126"');
  });
});
