import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExecdApp, DOCKER_SOCKET, type ExecdApp } from '../helpers/execd-app.js';
import { ensureBusyboxOnlyImage, ensureShellLessImage } from '../helpers/shell-less-image.js';

// Delete and move need a tool in the image (no archive call removes or renames). Without one: a clear
// 400 {code, message} at once; with /bin/busybox but no applet links: `busybox rm` / `busybox mv`.
const docker = new Docker({ socketPath: DOCKER_SOCKET });
let t: ExecdApp;
let bare: string; // only /busybox, off every path berth tries
let busybox: string; // /bin/busybox, no rm/mv/sh links

const q = (paths: string[]) => paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');
const put = (sbx: string, path: string, data: string) => {
  const form = new FormData();
  form.append('metadata', new Blob([JSON.stringify({ path })], { type: 'application/json' }), 'metadata');
  form.append('file', new Blob([data]), 'f');
  return t.execd(sbx, '/files/upload', { method: 'POST', body: form });
};
const exists = async (sbx: string, path: string) => (await t.execd(sbx, `/files/info?${q([path])}`)).status === 200;
const mv = (sbx: string, src: string, dest: string) =>
  t.execd(sbx, '/files/mv', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ src, dest }]) });
const del = (sbx: string, route: '/files' | '/directories', ...paths: string[]) => t.execd(sbx, `${route}?${q(paths)}`, { method: 'DELETE' });
const expectEmpty = async (res: Response) => {
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-length')).toBe('0');
};

beforeAll(async () => {
  t = await buildExecdApp('postgres');
  const [shellLess, busyboxOnly] = [await ensureShellLessImage(docker), await ensureBusyboxOnlyImage(docker)];
  [bare, busybox] = await Promise.all([
    t.createSandbox({ image: { uri: shellLess }, entrypoint: ['/busybox', 'sleep', '3600'] }),
    t.createSandbox({ image: { uri: busyboxOnly }, entrypoint: ['/bin/busybox', 'sleep', '3600'] }),
  ]);
});
afterAll(() => t.close());

describe('delete and move in an image with no tools', () => {
  it('answers 400 NOT_SUPPORTED with a JSON body at once, and touches nothing', async () => {
    await expectEmpty(await put(bare, '/tmp/d/keep.txt', 'keep'));
    const started = Date.now();
    for (const res of [
      await del(bare, '/files', '/tmp/d/keep.txt'),
      await del(bare, '/directories', '/tmp/d'),
      await mv(bare, '/tmp/d/keep.txt', '/tmp/moved.txt'),
    ]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('NOT_SUPPORTED');
      expect(body.message).toMatch(/needs (rm|mv) in the sandbox image/);
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await exists(bare, '/tmp/d/keep.txt')).toBe(true);
    expect(await exists(bare, '/tmp/moved.txt')).toBe(false);
    // nothing to delete needs no tool
    await expectEmpty(await del(bare, '/files', '/tmp/never-there'));
  });
});

describe('delete and move in an image with /bin/busybox but no applet links', () => {
  it('has neither rm nor a shell: commands still answer 400', async () => {
    const res = await t.execd(busybox, '/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'true' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_SUPPORTED');
  });

  it('deletes files and directories with `busybox rm`', async () => {
    await expectEmpty(await put(busybox, '/tmp/a/one.txt', '1'));
    await expectEmpty(await put(busybox, '/tmp/a/sub/two.txt', '2'));
    await expectEmpty(await put(busybox, '/tmp/-dash.txt', '3'));
    await expectEmpty(await del(busybox, '/files', '/tmp/a/one.txt', '/tmp/-dash.txt'));
    expect(await exists(busybox, '/tmp/a/one.txt')).toBe(false);
    expect(await exists(busybox, '/tmp/-dash.txt')).toBe(false);
    expect(await exists(busybox, '/tmp/a/sub/two.txt')).toBe(true);
    await expectEmpty(await del(busybox, '/directories', '/tmp/a'));
    expect(await exists(busybox, '/tmp/a')).toBe(false);
  });

  it('moves with `busybox mv`, creating the destination parents', async () => {
    await expectEmpty(await put(busybox, '/tmp/m/src.txt', 'moved content'));
    await expectEmpty(await mv(busybox, '/tmp/m/src.txt', '/tmp/n/deeper/dest.txt'));
    expect(await exists(busybox, '/tmp/m/src.txt')).toBe(false);
    const down = await t.execd(busybox, `/files/download?path=${encodeURIComponent('/tmp/n/deeper/dest.txt')}`);
    expect(await down.text()).toBe('moved content');
  });
});

describe('a big download in images without tail on any path', () => {
  it('is whole and exact by range: by `busybox tail` with /bin/busybox, from the archive with no tools at all', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 0);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i); // every 4 KiB block says where it is
    for (const sbx of [busybox, bare]) {
      const form = new FormData();
      form.append('metadata', new Blob([JSON.stringify({ path: '/tmp/big.bin' })], { type: 'application/json' }), 'metadata');
      form.append('file', new Blob([big]), 'f');
      expect((await t.execd(sbx, '/files/upload', { method: 'POST', body: form })).status).toBe(200);
      const whole = await t.execd(sbx, '/files/download?path=/tmp/big.bin');
      expect(Buffer.from(await whole.arrayBuffer()).equals(big)).toBe(true);
      const part = await t.execd(sbx, '/files/download?path=/tmp/big.bin', { headers: { Range: 'bytes=4096-5246975' } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(big.subarray(4096, 5246976))).toBe(true);
    }
  });
});
