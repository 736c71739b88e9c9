import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { readFrames } from '../helpers/exec-stream.js';

// List and search walk with the image's find + stat when the sandbox runs (berth-base: busybox), and with the
// engine's subtree tar when it is paused (exec needs a running container): both must answer the same, and the
// tar walk is capped. Small caps here: 100 entries, 4 KiB of file data.
const MAX_ENTRIES = 100;
const MAX_BYTES = 4096;
let t: ExecdApp;
let id: string;

const sh = async (command: string) => {
  const frames = await readFrames(
    await t.execd(id, '/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }) }),
  );
  expect(frames.at(-1)!.type, JSON.stringify(frames)).toBe('execution_complete');
};
const get = (path: string) => t.execd(id, path);
const list = (dir: string, depth?: number) => get(`/directories/list?path=${encodeURIComponent(dir)}${depth === undefined ? '' : `&depth=${depth}`}`);
const search = (dir: string, pattern: string) => get(`/files/search?path=${encodeURIComponent(dir)}&pattern=${encodeURIComponent(pattern)}`);
const setPaused = async (paused: boolean) => expect((await t.api(`/v1/sandboxes/${id}/${paused ? 'pause' : 'resume'}`, { method: 'POST' })).status).toBe(202);
const answers = async () =>
  Promise.all(
    [list('/w'), list('/w', 2), list('/w', 9), list('/w', 0), search('/w', '*.txt'), search('/w', '**'), search('/w', '{a,-x}*'), search('/w/sub', 'n*')].map(
      async (pending) => {
        const r = await pending;
        return { status: r.status, body: await r.json() };
      },
    ),
  );

beforeAll(async () => {
  t = await buildExecdApp('postgres', { BERTH_EXECD_MAX_WALK_ENTRIES: String(MAX_ENTRIES), BERTH_EXECD_MAX_WALK_BYTES: String(MAX_BYTES) });
  id = await t.createSandbox();
  await sh(
    [
      'mkdir -p /w/sub/deeper/deepest /w/empty /w/B "/w/with space"',
      'printf hello > /w/a.txt; printf 12345678 > /w/sub/n1.txt; printf x > /w/sub/deeper/n2.bin; printf y > "/w/with space/é ü.txt"',
      'printf z > /w/-x.txt; printf q > /w/B/a; printf r > /w/sub/deeper/deepest/n3',
      'ln -s /w/a.txt /w/link; ln -s /nowhere /w/sub/dangling; ln /w/a.txt /w/hard.txt',
      'chmod 640 /w/a.txt; chown 1000:50 /w/sub/n1.txt; touch -d "2020-01-02 03:04:05" /w/sub/deeper/n2.bin',
      'i=0; mkdir /many; while [ $i -lt 150 ]; do : > /many/f$i; i=$((i+1)); done; echo found > /many/needle',
      'mkdir /big; head -c 65536 /dev/zero > /big/blob; : > /big/small',
    ].join('; '),
  );
});
afterAll(() => t.close());

describe('list and search: find in a running sandbox, the archive walk in a paused one', () => {
  it('answer exactly the same entries, order and fields', async () => {
    const running = await answers();
    expect(running.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    const depth1 = running[0]!.body as { path: string; type: string; size: number; mode: number; owner: string; group: string; modified_at: string }[];
    expect(depth1.map((e) => e.path)).toEqual(['/w/-x.txt', '/w/B', '/w/a.txt', '/w/empty', '/w/hard.txt', '/w/link', '/w/sub', '/w/with space']);
    expect(depth1.find((e) => e.path === '/w/a.txt')).toMatchObject({ type: 'file', size: 5, mode: 640, owner: 'root', group: 'root' });
    expect(depth1.find((e) => e.path === '/w/link')).toMatchObject({ type: 'symlink' });
    expect((running[2]!.body as { path: string }[]).map((e) => e.path)).toContain('/w/sub/deeper/deepest/n3');
    expect((running[4]!.body as { path: string }[]).map((e) => e.path)).toEqual([
      '/w/-x.txt',
      '/w/a.txt',
      '/w/hard.txt',
      '/w/sub/n1.txt',
      '/w/with space/é ü.txt',
    ]);
    expect(running[3]!.body).toEqual([]);

    await setPaused(true);
    try {
      expect(await answers()).toEqual(running);
    } finally {
      await setPaused(false);
    }
  });

  it('keeps a name with a newline whole (find cannot print it unambiguously: the archive walk answers)', async () => {
    await sh('mkdir -p /nl; printf 1 > "/nl/line\none"; printf 2 > /nl/plain');
    const res = await list('/nl');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { path: string }[]).map((e) => e.path)).toEqual(['/nl/line\none', '/nl/plain']);
  });

  it('answers 413 WALK_TOO_LARGE beyond the entry limit, with find and without', async () => {
    for (const paused of [false, true]) {
      if (paused) await setPaused(true);
      try {
        for (const res of [await list('/many'), await search('/many', 'needle')]) {
          expect(res.status, `paused=${paused}`).toBe(413);
          expect(await res.json()).toMatchObject({ code: 'WALK_TOO_LARGE', message: expect.stringContaining(`${MAX_ENTRIES} entries`) });
        }
        // the whole root: over a limit too (without find the bytes limit may come first)
        const root = await search('/', '*');
        expect(root.status).toBe(413);
        expect(await root.json()).toMatchObject({ code: 'WALK_TOO_LARGE' });
      } finally {
        if (paused) await setPaused(false);
      }
    }
  });

  it('caps the bytes the archive walk streams; find sends no file contents', async () => {
    const running = await list('/big');
    expect(running.status).toBe(200);
    expect(((await running.json()) as { path: string; size: number }[]).map((e) => [e.path, e.size])).toEqual([
      ['/big/blob', 65536],
      ['/big/small', 0],
    ]);
    await setPaused(true);
    try {
      const paused = await list('/big');
      expect(paused.status).toBe(413);
      expect(await paused.json()).toMatchObject({ code: 'WALK_TOO_LARGE', message: expect.stringContaining(`${MAX_BYTES} bytes`) });
    } finally {
      await setPaused(false);
    }
  });
});
