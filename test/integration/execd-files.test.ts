import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { sandboxes } from '../../src/db/schema/index.js';
import { getSandbox } from '../../src/domain/sandbox/get-sandbox.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';
import { TEST_API_KEY } from '../helpers/app.js';

// execd's files API on the real engine and real Postgres: berth-base (busybox with its applets) and a
// tool-less image (a lone static /busybox, no applet links: no sh, rm, mv, chmod).
const TOOLLESS_IMAGE = `berth-toolless-it:${process.pid}`;
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const GROUP = 'root:x:0:\nstaff:x:50:alice\nalice:x:1000:\n';
const KEY = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY };

let t: ExecdApp;
let srv: Listening;
let id: string; // berth-base
let bare: string; // tool-less

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// spool files left by anything else (a killed run) are not this file's concern
const strayAtStart = new Set(readdirSync(tmpdir()));
const spools = () => readdirSync(tmpdir()).filter((n) => n.startsWith('berth-upload-') && !strayAtStart.has(n));
const q = (paths: string[]) => paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');

/** The SDK's in-memory upload: undici FormData (so a Content-Length), metadata as a file part named metadata. */
function form(meta: Record<string, unknown>, data: Uint8Array | string) {
  const f = new FormData();
  f.append('metadata', new Blob([JSON.stringify(meta)], { type: 'application/json' }), 'metadata');
  f.append('file', new Blob([data as BlobPart]), 'ignored-name');
  return f;
}
const upload = (sbx: string, meta: Record<string, unknown>, data: Uint8Array | string = 'x') =>
  t.execd(sbx, '/files/upload', { method: 'POST', body: form(meta, data) });

/** The SDK's streamed upload: a hand-built multipart body, chunked, with no length (real socket unless `via` is given). */
async function uploadChunked(
  sbx: string,
  path: string,
  chunks: AsyncIterable<Uint8Array>,
  via?: (url: string, init: RequestInit) => Response | Promise<Response>,
) {
  const b = `opensandbox_${Date.now()}`;
  const enc = new TextEncoder();
  async function* body() {
    yield enc.encode(`--${b}\r\nContent-Disposition: form-data; name="metadata"; filename="metadata"\r\nContent-Type: application/json\r\n\r\n`);
    yield enc.encode(`${JSON.stringify({ path })}\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n`);
    for await (const c of chunks) yield c;
    yield enc.encode(`\r\n--${b}--\r\n`);
  }
  const it = body();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
  });
  const path_ = `/v1/sandboxes/${sbx}/proxy/44772/files/upload`;
  const init = { method: 'POST', headers: { ...KEY, 'content-type': `multipart/form-data; boundary=${b}` }, body: stream, duplex: 'half' } as RequestInit;
  return via ? via(path_, init) : fetch(`${srv.base}${path_}`, init);
}

const download = (sbx: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${srv.base}/v1/sandboxes/${sbx}/proxy/44772/files/download?path=${encodeURIComponent(path)}`, { headers: { ...KEY, ...headers } });
const info = async (sbx: string, ...paths: string[]) => (await t.execd(sbx, `/files/info?${q(paths)}`)).json() as Promise<Record<string, any>>;
const postJson = (sbx: string, path: string, body: unknown) =>
  t.execd(sbx, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const expectEmpty = async (res: Response) => {
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-length')).toBe('0');
};
const expectError = async (res: Response, status: number, code: string) => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(JSON.parse(text)).toMatchObject({ code });
};

/** Run a command in the sandbox, straight through the port (test set-up and checks only). */
async function sh(sbx: string, script: string): Promise<string> {
  const { containerId } = await getSandbox(t.deps, sbx);
  const h = await t.deps.exec.start(containerId!, { cmd: ['sh', '-c', script] });
  let out = '';
  h.stdout.on('data', (c: Buffer) => (out += c.toString()));
  h.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await h.ended;
  return out;
}

/** A tar holding a lone static /busybox, account files and one data file, imported as an image. */
async function buildToollessImage(): Promise<void> {
  const { containerId } = await getSandbox(t.deps, id);
  const busybox = await readFirst(await t.deps.exec.readArchive(containerId!, '/bin/busybox'));
  const pack = tar.pack();
  pack.entry({ name: 'busybox', mode: 0o755 }, busybox); // busybox picks its applet from argv[0]: keep the name
  pack.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'etc/passwd', mode: 0o644 }, PASSWD);
  pack.entry({ name: 'etc/group', mode: 0o644 }, GROUP);
  pack.entry({ name: 'tmp/', type: 'directory', mode: 0o1777 });
  pack.entry({ name: 'data.txt', mode: 0o640, uid: 1000, gid: 50 }, 'static content\n');
  pack.finalize();
  const [repo, tag] = TOOLLESS_IMAGE.split(':');
  const stream = await t.docker.importImage(pack.pipe(new PassThrough()) as unknown as NodeJS.ReadableStream, { repo, tag });
  await new Promise((resolve, reject) => t.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(null))));
}

/** The first entry's bytes, reading the archive to its end (an unread archive keeps the engine's container lock). */
function readFirst(archive: Readable): Promise<Buffer> {
  const ex = tar.extract();
  let first: Buffer | undefined;
  return new Promise((resolve, reject) => {
    ex.on('entry', (_h, data, next) => {
      const chunks: Buffer[] = [];
      data.on('data', (c: Buffer) => chunks.push(c));
      data.on('end', () => {
        first ??= Buffer.concat(chunks);
        next();
      });
    });
    ex.on('finish', () => (first ? resolve(first) : reject(new Error('empty archive'))));
    ex.on('error', reject);
    archive.pipe(ex);
  });
}

beforeAll(async () => {
  t = await buildExecdApp('postgres');
  srv = await listenOnRandomPort(t.app.fetch);
  id = await t.createSandbox();
  await buildToollessImage();
  bare = await t.createSandbox({ image: { uri: TOOLLESS_IMAGE }, entrypoint: ['/busybox', 'sleep', '3600'] });
  // users for the owner tests, in berth-base's own account files
  expect((await upload(id, { path: '/etc/passwd', mode: 644 }, PASSWD)).status).toBe(200);
  expect((await upload(id, { path: '/etc/group', mode: 644 }, GROUP)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await srv?.close();
  await t?.close();
  await t?.docker
    .getImage(TOOLLESS_IMAGE)
    .remove({ force: true })
    .catch(() => {});
});

describe('upload, info and download', () => {
  it('round-trips a small file through the SDK-shaped FormData upload, default mode 0755 root', async () => {
    await expectEmpty(await upload(id, { path: '/tmp/rt/new/dir/hello.txt' }, 'hello\n'));
    const res = await download(id, '/tmp/rt/new/dir/hello.txt');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe('6');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="hello.txt"');
    expect(await res.text()).toBe('hello\n');
    const got = await info(id, '/tmp/rt/new/dir/hello.txt', 'tmp/rt/new');
    expect(got['/tmp/rt/new/dir/hello.txt']).toMatchObject({
      path: '/tmp/rt/new/dir/hello.txt',
      type: 'file',
      size: 6,
      mode: 755,
      owner: 'root',
      group: 'root',
    });
    expect(got['tmp/rt/new']).toMatchObject({ path: '/tmp/rt/new', type: 'directory', mode: 755 });
    expect(got['tmp/rt/new']!.created_at).toBe(got['tmp/rt/new']!.modified_at);
    expect(Date.now() - Date.parse(got['/tmp/rt/new/dir/hello.txt']!.modified_at)).toBeLessThan(60_000);
  });

  it('keeps every byte value 0..255, and mode/owner/group from the metadata', async () => {
    const all = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256);
    await expectEmpty(await upload(id, { path: '/tmp/rt/bytes.bin', mode: 640, owner: 'alice', group: 'staff' }, all));
    const res = await download(id, '/tmp/rt/bytes.bin');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(all);
    expect((await info(id, '/tmp/rt/bytes.bin'))['/tmp/rt/bytes.bin']).toMatchObject({ size: 1024, mode: 640, owner: 'alice', group: 'staff' });
    expect(await sh(id, 'stat -c "%a %u %g" /tmp/rt/bytes.bin')).toBe('640 1000 50\n');
  });

  it('round-trips 20 MiB streamed in chunks with no length, and streams it back with its length', async () => {
    const chunk = Buffer.alloc(1024 * 1024);
    const hash = createHash('sha256');
    async function* chunks() {
      for (let i = 0; i < 20; i++) {
        const c = Buffer.from(chunk.map((_, j) => (i * 7 + j) % 251));
        hash.update(c);
        yield c;
      }
    }
    const before = spools().length;
    const res = await uploadChunked(id, '/tmp/rt/big.bin', chunks());
    expect(res.status, await res.text()).toBe(200);
    expect(spools().length).toBe(before);
    const down = await download(id, '/tmp/rt/big.bin');
    expect(down.headers.get('content-length')).toBe(String(20 * 1024 * 1024));
    expect(sha(new Uint8Array(await down.arrayBuffer()))).toBe(hash.digest('hex'));
  });

  it('serves ranges (206 + Content-Range), suffixes, and 416 for malformed or unsatisfiable ones; the connection stays usable', async () => {
    await upload(id, { path: '/tmp/rt/digits.txt' }, '0123456789');
    const part = await download(id, '/tmp/rt/digits.txt', { Range: 'bytes=2-4' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(part.headers.get('content-length')).toBe('3');
    expect(await part.text()).toBe('234');
    const open = await download(id, '/tmp/rt/digits.txt', { Range: 'bytes=7-' });
    expect([open.status, await open.text()]).toEqual([206, '789']);
    // a list: upstream serves the first range that starts inside the file
    const listed = await download(id, '/tmp/rt/digits.txt', { Range: 'bytes=100-200, 2-4' });
    expect([listed.status, listed.headers.get('content-range'), await listed.text()]).toEqual([206, 'bytes 2-4/10', '234']);
    const suffix = await download(id, '/tmp/rt/digits.txt', { Range: 'bytes=-3' });
    expect([suffix.status, suffix.headers.get('content-range'), await suffix.text()]).toEqual([206, 'bytes 7-9/10', '789']);
    for (const bad of ['bytes=10-', 'bytes=5-1', 'chars=0-1', 'bytes=abc', 'bytes=0-1,abc']) {
      const r = await download(id, '/tmp/rt/digits.txt', { Range: bad });
      expect(r.headers.get('content-range')).toBe('bytes */10');
      await expectError(r, 416, 'UNKNOWN');
    }
    // a range that stops early in a big file: the tar stream is cut, the response must still finish
    const mid = await download(id, '/tmp/rt/big.bin', { Range: 'bytes=10485760-10485779' });
    expect(mid.status).toBe(206);
    expect((await mid.arrayBuffer()).byteLength).toBe(20);
    for (let i = 0; i < 3; i++) expect(await (await download(id, '/tmp/rt/digits.txt', { Range: 'bytes=0-0' })).text()).toBe('0');
  });

  it('answers 404, 400 and MISSING_QUERY with JSON bodies', async () => {
    await expectError(await download(id, '/tmp/rt/nope'), 404, 'FILE_NOT_FOUND');
    await expectError(await download(id, '/tmp/rt'), 400, 'INVALID_REQUEST_BODY');
    await expectError(await t.execd(id, '/files/download'), 400, 'MISSING_QUERY');
    await expectError(await t.execd(id, `/files/info?${q(['/tmp/rt/digits.txt', '/tmp/rt/nope'])}`), 404, 'FILE_NOT_FOUND');
    await expectError(await t.execd(id, `/files/info?path=${encodeURIComponent('/tmp/a\0b')}`), 400, 'INVALID_REQUEST_BODY');
    expect(await info(id)).toEqual({});
    await expectError(await t.execd('sbx-missing', '/files/info?path=/'), 404, 'DOCKER::SANDBOX_NOT_FOUND');
  });
});

describe('upload errors leave nothing behind', () => {
  const refused = async (res: Response, status: number, code: string, path: string) => {
    await expectError(res, status, code);
    await expectError(await t.execd(id, `/files/info?${q([path])}`), 404, 'FILE_NOT_FOUND');
    expect(spools()).toEqual([]);
  };

  it('refuses unknown owners, directories, files as parents and unpaired parts before writing', async () => {
    await refused(await upload(id, { path: '/tmp/up/a.txt', owner: 'nobody-here' }), 400, 'INVALID_FILE_METADATA', '/tmp/up');
    await refused(await upload(id, { path: '/tmp/up/a.txt', group: 'nogroup' }), 400, 'INVALID_FILE_METADATA', '/tmp/up');
    await refused(await upload(id, { path: '/tmp/up/a.txt', mode: 999 }), 400, 'INVALID_FILE_METADATA', '/tmp/up');
    await refused(await upload(id, { path: '' }), 400, 'INVALID_FILE_METADATA', '/tmp/up');
    await expectError(await upload(id, { path: '/tmp' }), 400, 'INVALID_FILE_METADATA');
    await refused(await upload(id, { path: '/tmp/rt/digits.txt/child' }), 400, 'INVALID_FILE_METADATA', '/tmp/rt/digits.txt/child');
    const f = form({ path: '/tmp/up/one' }, 'x');
    f.append('metadata', new Blob([JSON.stringify({ path: '/tmp/up/two' })]), 'metadata');
    await refused(await t.execd(id, '/files/upload', { method: 'POST', body: f }), 400, 'INVALID_FILE', '/tmp/up');
    const noFile = new FormData();
    noFile.append('metadata', new Blob([JSON.stringify({ path: '/tmp/up/one' })]), 'metadata');
    await refused(await t.execd(id, '/files/upload', { method: 'POST', body: noFile }), 400, 'INVALID_FILE_CONTENT', '/tmp/up');
    await expectError(await t.execd(id, '/files/upload', { method: 'POST', body: 'not multipart' }), 400, 'INVALID_REQUEST_BODY');
  });

  it('answers 413 past the upload limit, streamed or not, and removes the spool', async () => {
    const small = createApp({ ...t.deps, config: { ...t.deps.config, execdMaxUploadBytes: 4096 } });
    const url = `/v1/sandboxes/${id}/proxy/44772/files/upload`;
    const res = await small.request(url, { method: 'POST', headers: KEY, body: form({ path: '/tmp/up/big' }, new Uint8Array(5000)) });
    await refused(res, 413, 'PAYLOAD_TOO_LARGE', '/tmp/up/big');
    const ok = await small.request(url, { method: 'POST', headers: KEY, body: form({ path: '/tmp/up/fits' }, new Uint8Array(4096)) });
    expect(ok.status).toBe(200);
    expect((await info(id, '/tmp/up/fits'))['/tmp/up/fits'].size).toBe(4096);
    async function* tooMuch() {
      for (let i = 0; i < 64; i++) yield new Uint8Array(1024);
    }
    await refused(await uploadChunked(id, '/tmp/up/streamed', tooMuch(), (u, init) => small.request(u, init)), 413, 'PAYLOAD_TOO_LARGE', '/tmp/up/streamed');
  });
});

describe('odd names and symlinks', () => {
  const names = ['sp ace.txt', '日本語 ü.txt', '-leading.txt', `q"uo'te.txt`, 'a$HOME.txt', '~tilde', 'back\\slash'];

  it('takes names literally through upload, info, list, search, download, mv and delete', async () => {
    for (const n of names) await expectEmpty(await upload(id, { path: `/tmp/odd/${n}` }, n));
    const listed = (await (await t.execd(id, '/directories/list?path=/tmp/odd')).json()) as { path: string }[];
    expect(listed.map((e) => e.path).sort()).toEqual(names.map((n) => `/tmp/odd/${n}`).sort());
    const found = (await (await t.execd(id, `/files/search?path=/tmp/odd&pattern=${encodeURIComponent('*$HOME*')}`)).json()) as { path: string }[];
    expect(found.map((e) => e.path)).toEqual(['/tmp/odd/a$HOME.txt']);
    for (const n of names) {
      const res = await download(id, `/tmp/odd/${n}`);
      expect(await res.text()).toBe(n);
      expect(res.headers.get('content-disposition')).toContain('attachment; filename=');
    }
    const uni = await download(id, '/tmp/odd/日本語 ü.txt');
    expect(uni.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('日本語 ü.txt')}`);
    await expectEmpty(await postJson(id, '/files/mv', [{ src: '/tmp/odd/-leading.txt', dest: '/tmp/odd/moved/-still leading.txt' }]));
    expect(await (await download(id, '/tmp/odd/moved/-still leading.txt')).text()).toBe('-leading.txt');
    await expectEmpty(await t.execd(id, `/files?${q([`/tmp/odd/q"uo'te.txt`, '/tmp/odd/a$HOME.txt', '/tmp/odd/never-there'])}`, { method: 'DELETE' }));
    const left = (await (await t.execd(id, '/directories/list?path=/tmp/odd')).json()) as { path: string }[];
    expect(left.map((e) => e.path.slice(9)).sort()).toEqual(['back\\slash', 'moved', 'sp ace.txt', '~tilde', '日本語 ü.txt'].sort());
  });

  it('reports symlinks as such, never follows them in a listing, and follows them for download', async () => {
    await upload(id, { path: '/tmp/ln/real/inside.txt' }, 'inside');
    await sh(id, 'ln -s /tmp/ln/real /tmp/ln/dirlink && ln -s real/inside.txt /tmp/ln/filelink && ln -s /nowhere /tmp/ln/dangling');
    const got = await info(id, '/tmp/ln/dirlink', '/tmp/ln/filelink');
    expect(got['/tmp/ln/dirlink']!.type).toBe('symlink');
    expect(got['/tmp/ln/filelink']!.type).toBe('symlink');
    const listed = (await (await t.execd(id, '/directories/list?path=/tmp/ln&depth=5')).json()) as { path: string; type: string }[];
    expect(listed.map((e) => [e.path, e.type])).toEqual([
      ['/tmp/ln/dangling', 'symlink'],
      ['/tmp/ln/dirlink', 'symlink'],
      ['/tmp/ln/filelink', 'symlink'],
      ['/tmp/ln/real', 'directory'],
      ['/tmp/ln/real/inside.txt', 'file'],
    ]);
    expect(await (await download(id, '/tmp/ln/filelink')).text()).toBe('inside');
    await expectError(await download(id, '/tmp/ln/dangling'), 404, 'FILE_NOT_FOUND');
    await expectError(await t.execd(id, '/directories/list?path=/tmp/ln/dirlink'), 400, 'INVALID_REQUEST_BODY');
  });

  it('refuses to follow a symlink loop (a 400 naming no host path), lists it, and deletes or moves the link itself', async () => {
    await sh(id, 'mkdir -p /tmp/loop && ln -s /tmp/loop/self /tmp/loop/self && ln -s b /tmp/loop/a && ln -s a /tmp/loop/b');
    const calls = [
      () => download(id, '/tmp/loop/self'),
      () => t.execd(id, `/files/info?${q(['/tmp/loop/a'])}`),
      () => t.execd(id, `/directories/list?${q(['/tmp/loop/self/x'])}`),
      () => upload(id, { path: '/tmp/loop/self' }),
      () => upload(id, { path: '/tmp/loop/self/x' }),
      () => postJson(id, '/files/permissions', { '/tmp/loop/a': { mode: 644 } }),
      () => postJson(id, '/files/replace', { '/tmp/loop/self': { old: 'a', new: 'b' } }),
      () => postJson(id, '/directories', { '/tmp/loop/self/d': { mode: 755 } }),
      () => t.execd(id, `/files?${q(['/tmp/loop/self/x'])}`, { method: 'DELETE' }),
    ];
    for (const call of calls) {
      const text = await (await call()).text();
      expect(JSON.parse(text)).toEqual({ code: 'INVALID_REQUEST_BODY', message: expect.stringContaining('Too many levels of symbolic links at /tmp/loop/') });
      expect(text).not.toMatch(/overlay|docker|merged/);
    }
    const list = async () =>
      ((await (await t.execd(id, '/directories/list?path=/tmp/loop')).json()) as { path: string; type: string }[]).map((e) => [e.path, e.type]);
    expect(await list()).toEqual([
      ['/tmp/loop/a', 'symlink'],
      ['/tmp/loop/b', 'symlink'],
      ['/tmp/loop/self', 'symlink'],
    ]);
    await expectEmpty(await t.execd(id, `/files?${q(['/tmp/loop/self'])}`, { method: 'DELETE' }));
    await expectEmpty(await postJson(id, '/files/mv', [{ src: '/tmp/loop/a', dest: '/tmp/loop/c' }]));
    expect(await list()).toEqual([
      ['/tmp/loop/b', 'symlink'],
      ['/tmp/loop/c', 'symlink'],
    ]);
  });

  it('resolves symlinks and `..` inside the sandbox, never on the host', async () => {
    const hostPath = `/tmp/berth-escape-${process.pid}`; // would appear on the host if a link were resolved there
    await sh(id, 'echo sandbox-shadow > /etc/shadow && mkdir -p /tmp/esc && ln -s /etc/shadow /tmp/esc/abs && ln -s / /tmp/esc/root');
    await sh(id, `ln -s ../../../../../../../etc/shadow /tmp/esc/rel && ln -s ../../../../../../..${hostPath} /tmp/esc/out`);
    for (const p of ['/tmp/esc/abs', '/tmp/esc/rel', '/tmp/esc/root/etc/shadow', '/../../../../etc/shadow', 'tmp/../../../etc/shadow']) {
      expect(await (await download(id, p)).text(), p).toBe('sandbox-shadow\n');
    }
    await expectEmpty(await upload(id, { path: '/tmp/esc/out' }, 'through a link'));
    await expectEmpty(await upload(id, { path: `/../../..${hostPath}-dots` }, 'through dots'));
    expect([existsSync(hostPath), existsSync(`${hostPath}-dots`)]).toEqual([false, false]);
    expect(await sh(id, `cat ${hostPath}; echo; cat ${hostPath}-dots`)).toBe('through a link\nthrough dots');
    await expectEmpty(await postJson(id, '/files/permissions', { '/tmp/esc/abs': { mode: 600 } }));
    expect(await sh(id, 'stat -c %a /etc/shadow')).toBe('600\n');
  });
});

describe('list and search', () => {
  beforeAll(async () => {
    for (const p of ['b/x.txt', 'a/deep/er/y.md', 'a/z.txt', 'c.txt', 'a-b.txt']) await upload(id, { path: `/tmp/tree/${p}` }, p);
  });
  const list = async (query: string) => (await t.execd(id, `/directories/list?${query}`)).json() as Promise<{ path: string; type: string }[]>;

  it('lists in lexical pre-order up to the depth (default 1, 0 lists nothing)', async () => {
    expect((await list('path=/tmp/tree')).map((e) => e.path)).toEqual(['/tmp/tree/a', '/tmp/tree/a-b.txt', '/tmp/tree/b', '/tmp/tree/c.txt']);
    expect((await list('path=/tmp/tree&depth=2')).map((e) => e.path.slice(10))).toEqual(['a', 'a/deep', 'a/z.txt', 'a-b.txt', 'b', 'b/x.txt', 'c.txt']);
    expect(await list('path=/tmp/tree&depth=0')).toEqual([]);
    const deep = await list('path=/tmp/tree&depth=9');
    expect(deep.find((e) => e.path === '/tmp/tree/a/deep/er/y.md')).toMatchObject({ type: 'file', size: 14, mode: 755, owner: 'root' });
    expect((await list('path=/')).map((e) => e.path)).toContain('/tmp');
  });

  it('refuses bad depths, missing paths, files and no path', async () => {
    await expectError(await t.execd(id, '/directories/list?path=/tmp/tree&depth=-1'), 400, 'INVALID_REQUEST_BODY');
    await expectError(await t.execd(id, '/directories/list?path=/tmp/tree&depth=two'), 400, 'INVALID_REQUEST_BODY');
    await expectError(await t.execd(id, '/directories/list?path=/tmp/nothing'), 404, 'FILE_NOT_FOUND');
    await expectError(await t.execd(id, '/directories/list?path=/tmp/tree/c.txt'), 400, 'INVALID_REQUEST_BODY');
    await expectError(await t.execd(id, '/directories/list'), 400, 'MISSING_QUERY');
    await expectError(await t.execd(id, '/files/search?path=/tmp/nothing'), 404, 'FILE_NOT_FOUND');
  });

  it('searches base names with a doublestar glob, non-directories only', async () => {
    const search = async (pattern?: string) =>
      ((await (await t.execd(id, `/files/search?path=/tmp/tree${pattern ? `&pattern=${encodeURIComponent(pattern)}` : ''}`)).json()) as { path: string }[]).map(
        (e) => e.path.slice(10),
      );
    expect(await search()).toEqual(['a/deep/er/y.md', 'a/z.txt', 'a-b.txt', 'b/x.txt', 'c.txt']);
    expect(await search('*.txt')).toEqual(['a/z.txt', 'a-b.txt', 'b/x.txt', 'c.txt']);
    expect(await search('**/*.md')).toEqual(['a/deep/er/y.md']);
    expect(await search('{c,x}.txt')).toEqual(['b/x.txt', 'c.txt']);
    expect(await search('[a-b]?b.*')).toEqual(['a-b.txt']);
  });
});

describe('directories, permissions, replace, move and delete', () => {
  it('creates directories with parents, mode and owner, and re-applies them to an existing one', async () => {
    await expectEmpty(await postJson(id, '/directories', { '/tmp/mk/a/b': { mode: 700, owner: 'alice', group: 'staff' }, '/tmp/mk/c': { mode: 755 } }));
    expect(await sh(id, 'stat -c "%n %a %u %g" /tmp/mk /tmp/mk/a /tmp/mk/a/b /tmp/mk/c')).toBe(
      '/tmp/mk 755 0 0\n/tmp/mk/a 755 0 0\n/tmp/mk/a/b 700 1000 50\n/tmp/mk/c 755 0 0\n',
    );
    await upload(id, { path: '/tmp/mk/a/b/kept.txt' }, 'kept');
    await expectEmpty(await postJson(id, '/directories', { '/tmp/mk/a/b': { mode: 750 } }));
    expect(await sh(id, 'stat -c "%a %u %g" /tmp/mk/a/b; cat /tmp/mk/a/b/kept.txt')).toBe('750 1000 50\nkept');
    await expectError(await postJson(id, '/directories', { '/tmp/mk/x': { mode: 755 }, '/tmp/mk/a/b/kept.txt': { mode: 755 } }), 400, 'INVALID_REQUEST_BODY');
    await expectError(await postJson(id, '/directories', { '/tmp/mk/y': { mode: 755, owner: 'ghost' } }), 400, 'INVALID_REQUEST_BODY');
    await expectError(await postJson(id, '/directories', { '/tmp/mk/z': { mode: 888 } }), 400, 'INVALID_REQUEST_BODY');
    await expectError(await t.execd(id, '/directories', { method: 'POST', body: '{not json' }), 400, 'INVALID_REQUEST_BODY');
    expect(await sh(id, 'ls /tmp/mk')).toBe('a\nc\n'); // nothing of the refused requests was created
  });

  it('sets file permissions in place with chmod/chown and directory ones with a header entry', async () => {
    await upload(id, { path: '/tmp/perm/f.txt', mode: 644 }, 'content');
    const inode = await sh(id, 'stat -c %i /tmp/perm/f.txt');
    await expectEmpty(
      await postJson(id, '/files/permissions', { '/tmp/perm/f.txt': { mode: 600, owner: 'alice', group: 'staff' }, '/tmp/perm': { mode: 711 } }),
    );
    expect(await sh(id, 'stat -c "%a %u %g %i" /tmp/perm/f.txt /tmp/perm')).toBe(
      `600 1000 50 ${inode.trim()}\n711 0 0 ${(await sh(id, 'stat -c %i /tmp/perm')).trim()}\n`,
    );
    await expectEmpty(await postJson(id, '/files/permissions', { '/tmp/perm/f.txt': { owner: 'root' } }));
    expect(await sh(id, 'stat -c "%a %u %g" /tmp/perm/f.txt')).toBe('600 0 50\n');
    await expectError(await postJson(id, '/files/permissions', { '/tmp/perm/none': { mode: 644 } }), 404, 'FILE_NOT_FOUND');
  });

  it('replaces contents, keeps mode and owner, counts with verbose, and refuses empty old, missing files and big files', async () => {
    await upload(id, { path: '/tmp/rep/a.txt', mode: 640, owner: 'alice', group: 'staff' }, 'foo bar foo\nfoo');
    const res = await postJson(id, '/files/replace?verbose=true', { '/tmp/rep/a.txt': { old: 'foo', new: 'bazz' } });
    expect(await res.json()).toEqual({ '/tmp/rep/a.txt': { replacedCount: 3 } });
    expect(await sh(id, 'cat /tmp/rep/a.txt; echo; stat -c "%a %u %g" /tmp/rep/a.txt')).toBe('bazz bar bazz\nbazz\n640 1000 50\n');
    await expectEmpty(await postJson(id, '/files/replace', { '/tmp/rep/a.txt': { old: 'bar', new: '' } }));
    expect(await (await download(id, '/tmp/rep/a.txt')).text()).toBe('bazz  bazz\nbazz');
    await expectError(await postJson(id, '/files/replace', { '/tmp/rep/a.txt': { old: '', new: 'x' } }), 400, 'INVALID_REQUEST_BODY');
    await expectError(await postJson(id, '/files/replace', { '/tmp/rep/none': { old: 'a', new: 'b' } }), 404, 'FILE_NOT_FOUND');
    await expectError(await postJson(id, '/files/replace', { '/tmp/rt/big.bin': { old: 'a', new: 'b' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('moves files (making dest parents), 404 for a missing src, 409 for an existing dest', async () => {
    await upload(id, { path: '/tmp/mv/src.txt' }, 'moving');
    await upload(id, { path: '/tmp/mv/taken.txt' }, 'taken');
    await expectEmpty(await postJson(id, '/files/mv', [{ src: '/tmp/mv/src.txt', dest: '/tmp/mv/new/parent/dest.txt' }]));
    expect(await (await download(id, '/tmp/mv/new/parent/dest.txt')).text()).toBe('moving');
    await expectError(await download(id, '/tmp/mv/src.txt'), 404, 'FILE_NOT_FOUND');
    await expectError(await postJson(id, '/files/mv', [{ src: '/tmp/mv/src.txt', dest: '/tmp/mv/x' }]), 404, 'FILE_NOT_FOUND');
    await expectError(await postJson(id, '/files/mv', [{ src: '/tmp/mv/new/parent/dest.txt', dest: '/tmp/mv/taken.txt' }]), 409, 'FILE_EXISTS');
    await expectError(await postJson(id, '/files/mv', { src: 'a', dest: 'b' }), 400, 'INVALID_REQUEST_BODY');
  });

  it('deletes files (missing ignored, directories refused) and directories recursively', async () => {
    await upload(id, { path: '/tmp/del/sub/f.txt' }, 'x');
    await upload(id, { path: '/tmp/del/g.txt' }, 'x');
    await expectError(await t.execd(id, `/files?${q(['/tmp/del/g.txt', '/tmp/del/sub'])}`, { method: 'DELETE' }), 400, 'INVALID_REQUEST_BODY');
    expect(await sh(id, 'ls /tmp/del')).toBe('g.txt\nsub\n'); // refused before anything was removed
    await expectEmpty(await t.execd(id, `/files?${q(['/tmp/del/g.txt', '/tmp/del/none'])}`, { method: 'DELETE' }));
    await expectEmpty(await t.execd(id, `/directories?${q(['/tmp/del/sub', '/tmp/del/none'])}`, { method: 'DELETE' }));
    expect(await sh(id, 'ls -A /tmp/del')).toBe('');
    await expectError(await t.execd(id, '/directories?path=/', { method: 'DELETE' }), 400, 'INVALID_REQUEST_BODY');
  });
});

describe('a paused sandbox', () => {
  it('still serves files through the archive API; mv and rm answer 409', async () => {
    const p = await t.createSandbox();
    await upload(p, { path: '/tmp/p/f.txt', mode: 644 }, 'before pause');
    expect((await t.api(`/v1/sandboxes/${p}/pause`, { method: 'POST' })).status).toBe(202);
    await expectEmpty(await upload(p, { path: '/tmp/p/new.txt' }, 'while paused'));
    expect(await (await download(p, '/tmp/p/new.txt')).text()).toBe('while paused');
    expect((await info(p, '/tmp/p/f.txt'))['/tmp/p/f.txt'].mode).toBe(644);
    expect(((await (await t.execd(p, '/directories/list?path=/tmp/p')).json()) as unknown[]).length).toBe(2);
    await expectEmpty(await postJson(p, '/directories', { '/tmp/p/dir': { mode: 700 } }));
    await expectEmpty(await postJson(p, '/files/replace', { '/tmp/p/f.txt': { old: 'before', new: 'during' } }));
    await expectEmpty(await postJson(p, '/files/permissions', { '/tmp/p/f.txt': { mode: 600 } })); // archive rewrite
    expect((await info(p, '/tmp/p/f.txt'))['/tmp/p/f.txt']).toMatchObject({ mode: 600, size: 12 });
    await expectError(await postJson(p, '/files/mv', [{ src: '/tmp/p/f.txt', dest: '/tmp/p/g.txt' }]), 409, 'SANDBOX_PAUSED');
    await expectError(await t.execd(p, '/files?path=/tmp/p/f.txt', { method: 'DELETE' }), 409, 'SANDBOX_PAUSED');
    expect((await t.api(`/v1/sandboxes/${p}/resume`, { method: 'POST' })).status).toBe(202);
    expect(await (await download(p, '/tmp/p/f.txt')).text()).toBe('during pause');
  });
});

describe('a stopped sandbox', () => {
  it('answers every file call with a JSON 409 at once, nothing read from the container', async () => {
    const s = await t.createSandbox();
    const { containerId } = await getSandbox(t.deps, s);
    await t.docker.getContainer(containerId!).kill();
    // what the container watcher records when it sees the exit (this app runs none)
    await t.deps.db.update(sandboxes).set({ state: 'Terminated' }).where(eq(sandboxes.id, s));
    const calls = [
      t.execd(s, `/files/info?${q(['/etc/passwd'])}`),
      download(s, '/etc/passwd'),
      t.execd(s, '/directories/list?path=/tmp'),
      t.execd(s, '/files/search?path=/tmp'),
      upload(s, { path: '/tmp/x.txt' }),
      postJson(s, '/directories', { '/tmp/d': { mode: 755 } }),
      postJson(s, '/files/permissions', { '/etc/passwd': { mode: 600 } }),
      postJson(s, '/files/replace', { '/etc/passwd': { old: 'root', new: 'toor' } }),
      postJson(s, '/files/mv', [{ src: '/etc/passwd', dest: '/tmp/p' }]),
      t.execd(s, '/files?path=/etc/passwd', { method: 'DELETE' }),
      t.execd(s, '/directories?path=/tmp', { method: 'DELETE' }),
      t.execd(s, '/metrics'),
    ];
    for (const res of await Promise.all(calls)) await expectError(res, 409, 'SANDBOX_NOT_RUNNING');
  });
});

describe('an image with no shell and no tools', () => {
  it('serves info, upload, download, list, search, mkdir, replace and permissions; rm and mv answer 400 NOT_SUPPORTED', async () => {
    expect((await info(bare, '/data.txt'))['/data.txt']).toMatchObject({ type: 'file', mode: 640, owner: 'alice', group: 'staff', size: 15 });
    await expectEmpty(await upload(bare, { path: '/tmp/w/up.txt', owner: 'alice' }, 'uploaded'));
    expect(await (await download(bare, '/tmp/w/up.txt')).text()).toBe('uploaded');
    await expectEmpty(await postJson(bare, '/directories', { '/tmp/w/d': { mode: 700, group: 'staff' } }));
    const listed = (await (await t.execd(bare, '/directories/list?path=/tmp/w')).json()) as { path: string; owner: string; group: string }[];
    expect(listed.map((e) => [e.path, e.owner, e.group])).toEqual([
      ['/tmp/w/d', 'root', 'staff'],
      ['/tmp/w/up.txt', 'alice', 'root'],
    ]);
    const found = (await (await t.execd(bare, '/files/search?path=/&pattern=busy*')).json()) as { path: string }[];
    expect(found.map((e) => e.path)).toEqual(['/busybox']);
    await expectEmpty(await postJson(bare, '/files/replace', { '/data.txt': { old: 'static', new: 'changed' } }));
    expect(await (await download(bare, '/data.txt')).text()).toBe('changed content\n');
    await expectEmpty(await postJson(bare, '/files/permissions', { '/data.txt': { mode: 604, owner: 'root' } }));
    expect((await info(bare, '/data.txt'))['/data.txt']).toMatchObject({ mode: 604, owner: 'root', group: 'staff' });
    const rm = await t.execd(bare, '/files?path=/data.txt', { method: 'DELETE' });
    expect(rm.status).toBe(400);
    expect(await rm.json()).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('needs rm') });
    await expectError(await postJson(bare, '/files/mv', [{ src: '/data.txt', dest: '/moved.txt' }]), 400, 'NOT_SUPPORTED');
    await expectEmpty(await t.execd(bare, '/directories?path=/tmp/never', { method: 'DELETE' })); // nothing to delete needs no tool
  });
});
