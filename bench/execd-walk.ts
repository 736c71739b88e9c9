/**
 * npm run bench:execd-walk — a file search and a directory list over a tree of many files, walked two ways in
 * one run on the same sandbox: with the image's find + stat (a Running sandbox whose image has them: berth's
 * walk now) and with the engine's subtree tar (a Paused sandbox, or an image without find: the only walk berth
 * had before, file contents and all). Also `GET /directories/list?depth=1` of the tree's root, where the tar
 * walk still streams the whole subtree. Env: BENCH_FILES (default 20000), BENCH_FILE_BYTES (default 4096),
 * BENCH_N (default 5). Everything it makes is removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeInstanceContainers, startServer } from '../test/helpers/server.js';
import { round, summarize, timed } from './lib/stats.js';

const FILES = Number(process.env.BENCH_FILES ?? 20_000);
const FILE_BYTES = Number(process.env.BENCH_FILE_BYTES ?? 4096);
const N = Number(process.env.BENCH_N ?? 5);
const say = (s: string) => process.stdout.write(`${s}\n`);

const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-walk-'));
// caps out of the way: this measures the walks, not the limits
const server = await startServer({ dataDir, env: { BERTH_EXECD_MAX_WALK_ENTRIES: '10000000', BERTH_EXECD_MAX_WALK_BYTES: String(2 ** 40) } });
try {
  const created = await server.api('/v1/sandboxes', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      image: { uri: 'berth-base:latest' },
      entrypoint: ['tail', '-f', '/dev/null'],
      resourceLimits: { cpu: '1', memory: '512Mi' },
      timeout: 900,
    }),
  });
  const { id } = (await created.json()) as { id: string };
  const execd = (path: string, init?: RequestInit) => server.api(`/v1/sandboxes/${id}/proxy/44772${path}`, init);
  for (let i = 0; i < 100; i++) {
    if ((await execd('/ping')).status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const dirs = Math.ceil(FILES / 100);
  const script = [
    `head -c ${FILE_BYTES} /dev/urandom > /tmp/seed; d=0`,
    `while [ $d -lt ${dirs} ]; do mkdir -p /tree/d$d; f=0; while [ $f -lt 100 ]; do cp /tmp/seed /tree/d$d/f$f.dat; f=$((f+1)); done; d=$((d+1)); done`,
    'echo x > /tree/d7/needle.txt',
  ].join('; ');
  const made = await execd('/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: script }) });
  if (!(await made.text()).includes('execution_complete')) throw new Error('could not build the tree');
  say(`tree: ${dirs * 100 + 1} files in ${dirs} directories, ${FILE_BYTES} bytes each (${round((dirs * 100 * FILE_BYTES) / 2 ** 20, 1)} MiB)`);

  const calls = {
    'search needle*': '/files/search?path=/tree&pattern=needle*',
    'list depth=1': '/directories/list?path=/tree&depth=1',
  };
  const measure = async (path: string) => {
    const samples: number[] = [];
    let count = 0;
    for (let i = 0; i < N; i++) {
      const { ms, value } = await timed(async () => {
        const res = await execd(path);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as unknown[];
      });
      samples.push(ms);
      count = value.length;
    }
    return { ...summarize(samples), count };
  };
  const results: Record<string, Record<string, { p50: number; p95: number; count: number }>> = {};
  for (const [name, path] of Object.entries(calls)) {
    const withFind = await measure(path);
    await server.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' });
    const withTar = await measure(path);
    await server.api(`/v1/sandboxes/${id}/resume`, { method: 'POST' });
    results[name] = { find: withFind, 'archive walk': withTar };
    say(
      `${name}: find p50 ${round(withFind.p50)} ms / p95 ${round(withFind.p95)} ms (${withFind.count} entries); ` +
        `archive walk p50 ${round(withTar.p50)} ms / p95 ${round(withTar.p95)} ms (${withTar.count} entries); ` +
        `${round(withTar.p50 / withFind.p50, 1)}x`,
    );
  }
  say(JSON.stringify({ files: dirs * 100 + 1, fileBytes: FILE_BYTES, n: N, results }));
} finally {
  await server.kill();
  await removeInstanceContainers(server.instanceId);
  rmSync(dataDir, { recursive: true, force: true });
}
