import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSandbox } from '../../src/domain/sandbox/get-sandbox.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';

// An image whose USER is not root (many are: `USER node`, `USER 1000`). Uploads and mkdir go through the
// archive API, which writes as root; the file tools berth runs for delete, move, chmod and the find walk must
// then act as root too (upstream's execd runs as root), or a file the client just uploaded cannot be removed.
const USER_IMAGE = `berth-user-1000-it:${process.pid}`;
let t: ExecdApp;
let id: string;

const q = (paths: string[]) => paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');
const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const upload = (path: string, data: string) => {
  const form = new FormData();
  form.append('metadata', new Blob([JSON.stringify({ path })], { type: 'application/json' }), 'metadata');
  form.append('file', new Blob([data]), 'f');
  return t.execd(id, '/files/upload', { method: 'POST', body: form });
};
const ok = async (res: Response) => expect(res.status, await res.text()).toBe(200);

/** A command as the image's own user (test set-up and checks only). */
async function sh(script: string, user?: string): Promise<string> {
  const { containerId } = await getSandbox(t.deps, id);
  const h = await t.deps.exec.start(containerId!, { cmd: ['sh', '-c', script], ...(user !== undefined && { user }) });
  let out = '';
  h.stdout.on('data', (c: Buffer) => (out += c.toString()));
  h.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await h.ended;
  return out;
}

beforeAll(async () => {
  t = await buildExecdApp('postgres');
  // berth-base with USER 1000 (no passwd entry needed: the runtime takes the number)
  const base = await t.createSandbox();
  const { containerId } = await getSandbox(t.deps, base);
  const [repo, tag] = USER_IMAGE.split(':');
  await t.docker.getContainer(containerId!).commit({ repo, tag, changes: 'USER 1000' } as never);
  id = await t.createSandbox({ image: { uri: USER_IMAGE } });
  expect(await sh('id -u')).toBe('1000\n');
}, 120_000);
afterAll(async () => {
  await t?.close();
  await t?.docker
    .getImage(USER_IMAGE)
    .remove({ force: true })
    .catch(() => {});
});

describe('file tools in an image whose USER is not root', () => {
  it('chmods, moves and deletes what its own upload wrote', async () => {
    await ok(await upload('/tmp/u/f.txt', 'mine'));
    await ok(await t.execd(id, '/files/permissions', json({ '/tmp/u/f.txt': { mode: 600 } })));
    expect(await sh('stat -c "%a %u" /tmp/u/f.txt', '0')).toBe('600 0\n');
    await ok(await t.execd(id, '/files/mv', json([{ src: '/tmp/u/f.txt', dest: '/tmp/u/g.txt' }])));
    await ok(await t.execd(id, `/files?${q(['/tmp/u/g.txt'])}`, { method: 'DELETE' }));
    await ok(await upload('/tmp/u/sub/h.txt', 'more'));
    await ok(await t.execd(id, `/directories?${q(['/tmp/u'])}`, { method: 'DELETE' }));
    expect((await t.execd(id, `/files/info?${q(['/tmp/u'])}`)).status).toBe(404);
  });

  it('lists a tree with a directory that user cannot read, whole', async () => {
    await sh('mkdir -p /tmp/top/open /tmp/top/priv && touch /tmp/top/open/a /tmp/top/priv/secret && chmod 700 /tmp/top/priv', '0');
    const res = await t.execd(id, '/directories/list?path=/tmp/top&depth=3');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { path: string }[]).map((e) => e.path)).toEqual([
      '/tmp/top/open',
      '/tmp/top/open/a',
      '/tmp/top/priv',
      '/tmp/top/priv/secret',
    ]);
  });
});
