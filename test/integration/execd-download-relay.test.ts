import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';
import { ensureShellLessImage } from '../helpers/shell-less-image.js';
import { openSpills } from '../helpers/spill-files.js';

// Downloads on the real engine through a real socket. The engine holds a container's lock while an archive
// response is open, so an archive must never be paced by its client: in an image without tail (the archive
// path) these tests stop reading and check that the sandbox still answers, then that the bytes (past
// berth's in-memory window, so through its spill file) arrive whole. Where the image has tail, a big file
// starts from the archive too, and a client that falls behind by the window is handed to tail for the rest,
// read at the client's pace (an exec holds no lock): nothing spills, the sandbox still answers, and a client
// that goes away ends the process. A range that starts far into the file is read by tail from its start.
const SIZE = 48 * 1024 * 1024;
// A 1 MiB window, so what the response's and the sockets' own buffers take up (loopback receive buffers
// autotune up to tens of MiB) still leaves most of the file to spill.
const WINDOW = 1024 * 1024;
const KEY = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY };
const HANG = 'still waiting after 10 s';

let t: ExecdApp;
let srv: Listening;
let id: string; // an image without tail: the archive path
let containerId: string;
let withTail: string;
let withTailContainer: string;
const data = randomBytes(SIZE);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Either what `p` gives within 10 s, or the HANG marker: a hung engine call must fail the test, not stall it. */
const within10s = <T>(p: Promise<T>) => Promise.race([p, new Promise<string>((r) => setTimeout(() => r(HANG), 10_000).unref())]);

/** A download whose body nobody reads until `resume()`. */
async function stalledDownload(path: string, headers: Record<string, string> = {}, sandbox = id) {
  const url = new URL(`${srv.base}/v1/sandboxes/${sandbox}/proxy/44772/files/download?path=${encodeURIComponent(path)}`);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, { headers: { ...KEY, ...headers } }, resolve).on('error', reject));
  res.pause();
  return {
    res,
    readAll: async () => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

beforeAll(async () => {
  t = await buildExecdApp('postgres', { BERTH_EXECD_DOWNLOAD_MEMORY_BYTES: String(WINDOW) });
  srv = await listenOnRandomPort(t.app.fetch);
  [id, withTail] = await Promise.all([
    t.createSandbox({ image: { uri: await ensureShellLessImage(t.docker) }, entrypoint: ['/busybox', 'sleep', '3600'] }),
    t.createSandbox(),
  ]);
  const containerOf = async (sbx: string) => (await t.docker.listContainers({ filters: { label: [`berth.sandbox-id=${sbx}`] } }))[0]!.Id;
  [containerId, withTailContainer] = [await containerOf(id), await containerOf(withTail)];
  for (const sbx of [id, withTail]) {
    const f = new FormData();
    f.append('metadata', new Blob([JSON.stringify({ path: '/tmp/big.bin' })]), 'metadata');
    f.append('file', new Blob([data]), 'big.bin');
    const up = await fetch(`${srv.base}/v1/sandboxes/${sbx}/proxy/44772/files/upload`, { method: 'POST', headers: KEY, body: f });
    expect(up.status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await srv?.close();
  await t?.close();
});

describe('a download whose client stops reading, from an image without tail (the archive)', () => {
  it('leaves the sandbox answering (engine inspect, file info), then delivers every byte', async () => {
    const d = await stalledDownload('/tmp/big.bin');
    expect(d.res.statusCode).toBe(200);
    expect(d.res.headers['content-length']).toBe(String(SIZE));
    await new Promise((r) => setTimeout(r, 500)); // the engine has had time to send everything it would

    const inspected = await within10s(t.docker.getContainer(containerId).inspect());
    expect(inspected).not.toBe(HANG);
    const info = await within10s(fetch(`${srv.base}/v1/sandboxes/${id}/proxy/44772/files/info?path=/tmp/big.bin`, { headers: KEY }));
    expect(info).not.toBe(HANG);
    expect((info as Response).status).toBe(200);
    expect(((await (info as Response).json()) as Record<string, { size: number }>)['/tmp/big.bin']!.size).toBe(SIZE);

    d.res.resume();
    const got = await d.readAll();
    expect(got.length).toBe(SIZE);
    expect(sha(got)).toBe(sha(data));
  }, 60_000);

  it('serves a range that ends past the in-memory window exactly, to a client that lags', async () => {
    const start = 3 * 1024 * 1024 + 17;
    const end = 35 * 1024 * 1024 + 5;
    const d = await stalledDownload('/tmp/big.bin', { Range: `bytes=${start}-${end}` });
    expect(d.res.statusCode).toBe(206);
    expect(d.res.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
    await new Promise((r) => setTimeout(r, 300));
    d.res.resume();
    const got = await d.readAll();
    expect(sha(got)).toBe(sha(data.subarray(start, end + 1)));
  }, 60_000);

  it('closes its spill file when the client goes away mid-download, and the sandbox goes on answering', async () => {
    const d = await stalledDownload('/tmp/big.bin');
    // the client lags by more than the window: the rest goes to disk (however slowly the engine sends it)
    for (let i = 0; i < 100 && openSpills().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(openSpills().length).toBe(1);
    d.res.destroy();
    for (let i = 0; i < 50 && openSpills().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(openSpills()).toEqual([]);
    expect(await within10s(t.docker.getContainer(containerId).inspect())).not.toBe(HANG);
    // and the next download on the same sandbox is whole
    const again = await stalledDownload('/tmp/big.bin');
    again.res.resume();
    expect(sha(await again.readAll())).toBe(sha(data));
  }, 60_000);

  it('a HEAD answers the GET headers and reads nothing on: no spill file stays open, the sandbox answers', async () => {
    const url = `${srv.base}/v1/sandboxes/${id}/proxy/44772/files/download?path=/tmp/big.bin`;
    const head = await fetch(url, { method: 'HEAD', headers: KEY });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SIZE));
    expect(await head.text()).toBe('');
    await new Promise((r) => setTimeout(r, 1000)); // what a dropped body would have read by now
    expect(openSpills()).toEqual([]);
    expect(await within10s(t.docker.getContainer(containerId).inspect())).not.toBe(HANG);
  }, 60_000);
});

/** The sandbox's processes running tail (the download's reader). */
const tails = async () => ((await t.docker.getContainer(withTailContainer).top()).Processes ?? []).filter((p: string[]) => p.join(' ').includes('tail -c'));

/** The byte offsets (from 0) the sandbox's running tails were started at. */
const tailOffsets = async () => (await tails()).map((p: string[]) => Number(/-c \+(\d+)/.exec(p.join(' '))![1]) - 1);

describe("a big download from an image with tail (the rest read by the sandbox, at the client's pace)", () => {
  it('hands a client that does not read to tail past the archive: the sandbox answers, nothing spills, every byte arrives', async () => {
    const d = await stalledDownload('/tmp/big.bin', {}, withTail);
    expect(d.res.statusCode).toBe(200);
    expect(d.res.headers['content-length']).toBe(String(SIZE));
    await new Promise((r) => setTimeout(r, 500));
    expect(await within10s(t.docker.getContainer(withTailContainer).inspect())).not.toBe(HANG);
    const info = await within10s(fetch(`${srv.base}/v1/sandboxes/${withTail}/proxy/44772/files/info?path=/tmp/big.bin`, { headers: KEY }));
    expect((info as Response).status).toBe(200);
    expect(openSpills()).toEqual([]); // the archive path, with this window, would have spilled most of the file
    const [offset, ...others] = await tailOffsets(); // held back by the client, not finished into berth's memory
    expect(others).toEqual([]);
    expect(offset).toBeGreaterThan(WINDOW - 1); // the archive gave the first window (and the buffers it fills)
    expect(offset).toBeLessThan(SIZE);
    d.res.resume();
    const got = await d.readAll();
    expect(sha(got)).toBe(sha(data));
  }, 60_000);

  it('serves a range exactly', async () => {
    const start = 5 * 1024 * 1024 + 3;
    const end = 40 * 1024 * 1024 + 11;
    const d = await stalledDownload('/tmp/big.bin', { Range: `bytes=${start}-${end}` }, withTail);
    expect(d.res.statusCode).toBe(206);
    expect(d.res.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
    d.res.resume();
    expect(sha(await d.readAll())).toBe(sha(data.subarray(start, end + 1)));
  }, 60_000);

  it('reads a range that starts far into the file by tail from its start (the archive cannot seek)', async () => {
    const start = 20 * 1024 * 1024 + 5;
    const end = 47 * 1024 * 1024 + 1;
    const d = await stalledDownload('/tmp/big.bin', { Range: `bytes=${start}-${end}` }, withTail);
    expect(d.res.statusCode).toBe(206);
    for (let i = 0; i < 50 && (await tails()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await tailOffsets()).toEqual([start]);
    d.res.resume();
    expect(sha(await d.readAll())).toBe(sha(data.subarray(start, end + 1)));
  }, 60_000);

  it('ends the reading process when the client goes away, and the next download is whole', async () => {
    const d = await stalledDownload('/tmp/big.bin', {}, withTail);
    for (let i = 0; i < 50 && (await tails()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await tails()).length).toBe(1);
    d.res.destroy();
    for (let i = 0; i < 50 && (await tails()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await tails()).toEqual([]);
    const again = await stalledDownload('/tmp/big.bin', {}, withTail);
    again.res.resume();
    expect(sha(await again.readAll())).toBe(sha(data));
  }, 60_000);

  it('is served from the archive while the sandbox is paused (no process can run), whole', async () => {
    expect((await t.api(`/v1/sandboxes/${withTail}/pause`, { method: 'POST' })).status).toBe(202);
    try {
      const d = await stalledDownload('/tmp/big.bin', {}, withTail);
      expect(d.res.statusCode).toBe(200);
      d.res.resume();
      expect(sha(await d.readAll())).toBe(sha(data));
    } finally {
      expect((await t.api(`/v1/sandboxes/${withTail}/resume`, { method: 'POST' })).status).toBe(202);
    }
  }, 60_000);
});
