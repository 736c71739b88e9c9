import { describe, expect, it } from 'vitest';
import { createBody, DB_KINDS } from '../helpers/app.js';
import { appWithSandbox, expect400 } from '../helpers/app-with-sandbox.js';

// Text Postgres cannot store (a NUL, a lone UTF-16 surrogate) anywhere in a request: a 400 with the
// request's own code before any handler runs, never the 500 Postgres' refusal used to become.

const INVALID = 'SANDBOX::INVALID_PARAMETER';
const EXECD = 'INVALID_REQUEST_BODY';

describe.each(DB_KINDS)('unstorable text on %s', (kind) => {
  const s = appWithSandbox(kind);

  it.each([
    ['GET', '/v1/sandboxes/%00'],
    ['GET', '/sandboxes/a%00b'],
    ['DELETE', '/v1/sandboxes/%00'],
    ['GET', '/v1/sandboxes/%00/endpoints/8080'],
    ['GET', '/v1/snapshots/%00'],
    ['GET', '/v1/sandboxes?metadata=k%3D%00'],
    ['GET', '/v1/sandboxes?state=%00'],
    ['GET', '/v1/webhooks/%00'],
    ['GET', '/v1/events?sandboxId=%00'],
  ])('%s %s', async (method, path) => {
    await expect400(await s.t.call(method, path), INVALID, 'NUL');
  });

  it('a NUL the metadata filter decodes itself (%2500, found by the fuzz tier as a 500 from jsonb)', async () => {
    for (const q of ['k%3D%2500', '%2500%3Dv', 'a%3D1%26k%3Dx%2500y'])
      await expect400(await s.t.call('GET', `/v1/sandboxes?metadata=${q}`), 'INVALID_METADATA_FORMAT', 'NUL');
  });

  it('the server proxy: a NUL sandbox id is a 400 without an API key', async () => {
    const res = await s.t.app.request('/v1/sandboxes/%00/proxy/8080');
    await expect400(res, INVALID, 'NUL');
  });

  it.each([
    ['env value', { env: { A: 'x\u0000y' } }, 'body.env.A: must not contain a NUL'],
    ['env key', { env: { 'A\u0000': 'x' } }, 'body.env: a key must not contain a NUL'],
    ['metadata value', { metadata: { k: '\u0000' } }, 'body.metadata.k'],
    ['entrypoint', { entrypoint: ['sh', '-c', 'echo \u0000'] }, 'body.entrypoint[2]'],
    ['image uri', { image: { uri: 'busybox\u0000' } }, 'body.image.uri'],
    ['a lone surrogate in env', { env: { A: 'x\ud800' } }, 'body.env.A: must be well-formed'],
    ['a lone surrogate in entrypoint', { entrypoint: ['\udc00'] }, 'body.entrypoint[0]: must be well-formed'],
    ['a lone surrogate in resourceLimits', { resourceLimits: { cpu: '1\ud83d' } }, 'body.resourceLimits.cpu: must be well-formed'],
  ])('create with a bad %s leaves nothing behind', async (_label, overrides, text) => {
    const rows = await s.t.countRows();
    await expect400(await s.t.call('POST', '/v1/sandboxes', createBody(overrides)), INVALID, text);
    expect(await s.t.countRows()).toBe(rows);
    expect(s.t.runtime.count).toBe(1);
  });

  it('a well-formed surrogate pair (an emoji) is fine where the field allows it', async () => {
    const res = await s.t.call('POST', '/v1/sandboxes', createBody({ env: { A: 'ok \ud83d\ude00' } }));
    expect(res.status, await res.text()).toBe(202);
  });

  it('a literal backslash-u0000 (escaped backslash) is ordinary text', async () => {
    const body = JSON.stringify(createBody({ env: { A: '\\u0000' } }));
    expect(body).toContain('\\\\u0000');
    const res = await s.t.call('POST', '/v1/sandboxes', body);
    expect(res.status, await res.text()).toBe(202);
  });

  it('PATCH metadata and webhook bodies are checked too', async () => {
    await expect400(await s.t.call('PATCH', `/v1/sandboxes/${s.sandboxId}/metadata`, { k: 'a\u0000' }), INVALID, 'body.k');
    await expect400(await s.t.call('POST', '/v1/webhooks', { url: 'https://example.com/\u0000' }), INVALID, 'body.url');
  });

  it('execd: a NUL in the path, query or a JSON body is INVALID_REQUEST_BODY', async () => {
    const base = `/v1/sandboxes/${s.sandboxId}/proxy/44772`;
    await expect400(await s.t.call('GET', `/v1/sandboxes/%00/proxy/44772/ping`), EXECD, 'NUL');
    await expect400(await s.t.call('GET', `${base}/files/info?path=/tmp/%00`), EXECD, 'NUL');
    await expect400(await s.t.call('POST', `${base}/command`, { command: 'echo \u0000' }), EXECD, 'body.command');
    await expect400(await s.t.call('POST', `${base}/pty`, { cwd: '\ud800' }), EXECD, 'body.cwd');
  });

  it('execd uploads are never scanned: their bytes are the file', async () => {
    const form = new FormData();
    form.append('metadata', JSON.stringify({ path: '/tmp/f' }));
    form.append('file', new Blob([new Uint8Array([0, 0x5c, 0x75, 0x30, 0x30, 0x30, 0x30, 0])]), 'f');
    const res = await s.t.app.request(`/v1/sandboxes/${s.sandboxId}/proxy/44772/files/upload`, {
      method: 'POST',
      headers: { 'OPEN-SANDBOX-API-KEY': 'test-key-0123456789' },
      body: form,
    });
    expect((await res.text()).includes('NUL')).toBe(false);
  });
});
