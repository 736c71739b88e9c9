/**
 * npm run bench:execd — what berth's execd costs on top of the Docker Engine API, in one run, against a
 * real server on the embedded database and the same container:
 *  (a) `commands.run('true')` through the official SDK vs raw dockerode exec (create, start attached,
 *      demux to the end, inspect): p50/p95 and the ratio (target <= 1.25x);
 *  (b) first byte: from the request to the first stdout event of `echo x` vs raw exec's first stdout byte;
 *  (c) a 64 MiB upload and download through the SDK, and through a plain streaming HTTP client (the server's
 *      own cost), vs raw putArchive/getArchive (throughput ratio, target >= 0.8x);
 *  (d) 20 concurrent commands: wall time through berth vs 20 concurrent raw execs.
 * Env: BENCH_N (default 100). Everything it makes is removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Sandbox } from '@alibaba-group/opensandbox';
import Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import { removeInstanceContainers, startServer, TEST_API_KEY } from '../test/helpers/server.js';
import { round, summarize, timed } from './lib/stats.js';

const N = Number(process.env.BENCH_N ?? 100);
const BIG = 64 * 1024 * 1024;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const say = (s: string) => process.stdout.write(`${s}\n`);

/** The physical floor: one exec the way any Docker client runs it, output read to the end. */
async function rawExec(container: Docker.Container, cmd: string, onFirstByte?: () => void): Promise<number> {
  const exec = await container.exec({ Cmd: ['/bin/sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(stream, out, err);
  if (onFirstByte) out.once('data', onFirstByte);
  out.resume();
  err.resume();
  await new Promise((r) => stream.on('end', r));
  return (await exec.inspect()).ExitCode ?? -1;
}

async function rawUpload(container: Docker.Container, data: Buffer): Promise<void> {
  const tar = pack();
  tar.entry({ name: 'raw.bin', size: data.length, mode: 0o644 }, data);
  tar.finalize();
  await container.putArchive(tar as unknown as Readable, { path: '/tmp' });
}

async function rawDownload(container: Docker.Container): Promise<number> {
  const stream = (await container.getArchive({ path: '/tmp/raw.bin' })) as unknown as Readable;
  const ex = extract();
  let n = 0;
  ex.on('entry', (_h, s, next) => {
    s.on('data', (c: Buffer) => (n += c.length));
    s.on('end', next);
  });
  stream.pipe(ex);
  await new Promise((r) => ex.on('finish', r));
  return n;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-execd-'));
  const server = await startServer({ dataDir, env: { BERTH_REAPER_INTERVAL_MS: '1000' } });
  try {
    const conn = { domain: server.url, apiKey: TEST_API_KEY, requestTimeoutSeconds: 120 };
    const sbx = await Sandbox.create({
      connectionConfig: conn,
      image: 'berth-base:latest',
      entrypoint: ['tail', '-f', '/dev/null'],
      resource: { cpu: '1', memory: '512Mi' },
      timeoutSeconds: 3600,
    });
    const container = docker.getContainer((await docker.listContainers({ filters: { label: [`berth.sandbox-id=${sbx.id}`] } }))[0]!.Id);

    // warm both paths (connection pools, the shell cache)
    for (let i = 0; i < 5; i++) {
      await sbx.commands.run('true');
      await rawExec(container, 'true');
    }

    // (a) alternate so drift on the engine hits both sides alike
    const api: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < N; i++) {
      api.push((await timed(() => sbx.commands.run('true'))).ms);
      raw.push((await timed(() => rawExec(container, 'true'))).ms);
    }
    const a = summarize(api);
    const r = summarize(raw);
    say(`commands.run('true'), n=${N}: berth p50 ${a.p50} ms p95 ${a.p95} ms | raw dockerode exec p50 ${r.p50} ms p95 ${r.p95} ms`);
    say(`  ratio berth/raw: p50 ${round(a.p50 / r.p50)}x p95 ${round(a.p95 / r.p95)}x (target <= 1.25x)`);

    // (b) first byte
    const fbApi: number[] = [];
    const fbRaw: number[] = [];
    for (let i = 0; i < Math.min(N, 50); i++) {
      let t0 = performance.now();
      let first = 0;
      await sbx.commands.run('echo x', {}, { onStdout: () => void (first ||= performance.now() - t0) });
      fbApi.push(first);
      t0 = performance.now();
      let rawFirst = 0;
      await rawExec(container, 'echo x', () => void (rawFirst = performance.now() - t0));
      fbRaw.push(rawFirst);
    }
    const fa = summarize(fbApi);
    const fr = summarize(fbRaw);
    say(
      `first stdout byte of 'echo x': berth p50 ${fa.p50} ms p95 ${fa.p95} ms | raw p50 ${fr.p50} ms p95 ${fr.p95} ms | ratio p50 ${round(fa.p50 / fr.p50)}x`,
    );

    // (c) 64 MiB each way
    const data = randomBytes(BIG);
    const up = await timed(() => sbx.files.writeFiles([{ path: '/tmp/berth.bin', data }]));
    const rawUp = await timed(() => rawUpload(container, data));
    const down = await timed(async () => (await sbx.files.readBytes('/tmp/berth.bin')).length);
    const rawDown = await timed(() => rawDownload(container));
    if (down.value !== BIG || rawDown.value !== BIG) throw new Error(`download sizes ${down.value}/${rawDown.value}`);
    const mibs = (ms: number) => round(BIG / 1024 / 1024 / (ms / 1000), 1);
    say(`64 MiB upload: berth ${mibs(up.ms)} MiB/s | raw putArchive ${mibs(rawUp.ms)} MiB/s | ratio ${round(rawUp.ms / up.ms)}x (target >= 0.8x)`);
    say(`64 MiB download: berth ${mibs(down.ms)} MiB/s | raw getArchive ${mibs(rawDown.ms)} MiB/s | ratio ${round(rawDown.ms / down.ms)}x (target >= 0.8x)`);

    // (c') the same bytes with a plain streaming HTTP client: the server's own cost, without the SDK's
    // FormData encoding and its collect-then-concatenate reads
    const base = `${server.url}/v1/sandboxes/${sbx.id}/proxy/44772`;
    const boundary = `berth${randomBytes(8).toString('hex')}`;
    const part = (name: string, type: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`;
    const multipart = [
      Buffer.from(`${part('metadata', 'application/json')}${JSON.stringify({ path: '/tmp/plain.bin' })}\r\n${part('file', 'application/octet-stream')}`),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ];
    const plainUp = await timed(async () => {
      const res = await fetch(`${base}/files/upload`, {
        method: 'POST',
        headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Readable.toWeb(Readable.from(multipart)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      if (res.status !== 200) throw new Error(`plain upload ${res.status} ${await res.text()}`);
    });
    const plainDown = await timed(async () => {
      const res = await fetch(`${base}/files/download?path=/tmp/plain.bin`, { headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
      let n = 0;
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
      return n;
    });
    if (plainDown.value !== BIG) throw new Error(`plain download size ${plainDown.value}`);
    say(`64 MiB upload, plain streaming HTTP client: berth ${mibs(plainUp.ms)} MiB/s | ratio to raw ${round(rawUp.ms / plainUp.ms)}x`);
    say(`64 MiB download, plain streaming HTTP client: berth ${mibs(plainDown.ms)} MiB/s | ratio to raw ${round(rawDown.ms / plainDown.ms)}x`);

    // (d) 20 at once
    const C = 20;
    const conc = await timed(() => Promise.all(Array.from({ length: C }, () => sbx.commands.run('echo $$; sleep 0.1'))));
    const rawConc = await timed(() => Promise.all(Array.from({ length: C }, () => rawExec(container, 'echo $$; sleep 0.1'))));
    const failures = conc.value.filter((e) => e.exitCode !== 0).length;
    say(`${C} concurrent commands: berth ${round(conc.ms)} ms (${failures} failed) | raw ${round(rawConc.ms)} ms | ratio ${round(conc.ms / rawConc.ms)}x`);

    await sbx.kill();
    await sbx.close();
  } finally {
    await server.kill();
    await removeInstanceContainers(server.instanceId);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
