/**
 * npm run bench:execd — what berth's execd costs on top of the Docker Engine API, in one run, against a
 * real server on the embedded database and the same container:
 *  (a) `commands.run('true')` through the official SDK vs raw dockerode exec (create, start attached,
 *      demux to the end, inspect): p50/p95 and the ratio (target <= 1.25x);
 *  (b) first byte: from the request to the first stdout event of `echo x` vs raw exec's first stdout byte;
 *  (c) a 64 MiB upload (a Buffer, and a file stream) and download through the SDK, and through a plain streaming HTTP client (the server's
 *      own cost), vs raw putArchive/getArchive (throughput ratio, target >= 0.8x); and the SDK's own floor: the
 *      same SDK calls against a do-nothing stub (no server can do better through the SDK than that); and for
 *      uploads the floor of a server that never lets a client pace the engine's archive (the container lock,
 *      src/DESIGN.md execd §6.5): the SDK's own send, then the raw PUT;
 *      for uploads also the one channel that needs no size before the data (an exec's stdin), which bounds any
 *      design for a streamed body; for downloads, the CPU each costs (the machine's, berth's process's, the
 *      client's), since on a small machine the transfer is bound by the cores the engine, berth and the client
 *      share, and a plain relay's figure (a process that only writes the archive's bytes on: what the hop itself costs);
 *  (d) 20 concurrent commands: wall time through berth vs 20 concurrent raw execs.
 * Env: BENCH_N (default 100). Everything it makes is removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Sandbox } from '@alibaba-group/opensandbox';
import Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import { removeInstanceContainers, startServer, TEST_API_KEY } from '../test/helpers/server.js';
import { cpuMsOf, machineBusyMs } from './lib/proc.js';
import { ddStdin } from './lib/exec-stdin.js';
import { startRelayFloor } from './lib/relay-floor.js';
import { sdkRead, startSdkStub } from './lib/sdk-floor.js';
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

/**
 * The one channel into a sandbox that needs no size before the data (a tar header does): an exec's stdin, into
 * `dd`. Timed from the moment the stream is open, so it stands for a helper kept running in the sandbox too.
 */
async function rawStdinUpload(container: Docker.Container, data: Buffer): Promise<number> {
  const dd = await ddStdin(container, '/tmp/stdin.bin');
  return (await timed(() => dd.pipe(Readable.from(pieces(data))))).ms;
}

function* pieces(data: Buffer, size = 1024 * 1024): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
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

const FILE_ROUNDS = 3;

/** CPU one transfer costs: every process on the machine, berth's own process, and this one (the client). */
type Cost = { machine: number; berth: number; client: number };

async function costed(berthPid: number, into: Cost[], fn: () => Promise<unknown>): Promise<number> {
  const [m0, b0, c0] = [machineBusyMs(), cpuMsOf(berthPid), process.cpuUsage()];
  const { ms } = await timed(fn);
  const c = process.cpuUsage(c0);
  into.push({ machine: machineBusyMs() - m0, berth: cpuMsOf(berthPid) - b0, client: (c.user + c.system) / 1000 });
  return ms;
}

const medianCost = (costs: Cost[]): Cost => ({
  machine: summarize(costs.map((c) => c.machine)).p50,
  berth: summarize(costs.map((c) => c.berth)).p50,
  client: summarize(costs.map((c) => c.client)).p50,
});

function expectBig(n: number): number {
  if (n !== BIG) throw new Error(`download of ${n} bytes, not ${BIG}`);
  return n;
}

/** A hand-built multipart body streamed by fetch: what the server costs, without the SDK's encoding. */
async function plainUpload(base: string, data: Buffer): Promise<void> {
  const boundary = `berth${randomBytes(8).toString('hex')}`;
  const part = (name: string, type: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`;
  const multipart = [
    Buffer.from(`${part('metadata', 'application/json')}${JSON.stringify({ path: '/tmp/plain.bin' })}\r\n${part('file', 'application/octet-stream')}`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
  const res = await fetch(`${base}/files/upload`, {
    method: 'POST',
    headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Readable.toWeb(Readable.from(multipart)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (res.status !== 200) throw new Error(`plain upload ${res.status} ${await res.text()}`);
}

async function plainDownload(url: string): Promise<number> {
  const res = await fetch(url, { headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
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

    // (c) 64 MiB each way, in alternating rounds (one transfer alone swings by 2x on a busy machine): through
    // the SDK; the raw archive API (the floor); the SDK against a do-nothing stub (the SDK's own floor: no
    // server can do better through the SDK); and a plain streaming HTTP client (berth's own cost).
    const data = randomBytes(BIG);
    // The SDK sends a Buffer through FormData (copied, then encoded in small pieces: its slowest input) and a
    // stream as a chunked body (no length: the server must take it all before it knows the size); both count.
    const source = join(dataDir, 'upload-source.bin');
    writeFileSync(source, data);
    const fromDisk = () => createReadStream(source, { highWaterMark: 1024 * 1024 });
    const stub = await startSdkStub(data);
    const relay = await startRelayFloor(container.id);
    const base = `${server.url}/v1/sandboxes/${sbx.id}/proxy/44772`;
    const kinds = ['sdk', 'raw', 'stub', 'plain'] as const;
    const ups: Record<(typeof kinds)[number], number[]> = { sdk: [], raw: [], stub: [], plain: [] };
    const downs: Record<(typeof kinds)[number], number[]> = { sdk: [], raw: [], stub: [], plain: [] };
    const streamed = { sdk: [] as number[], stub: [] as number[] };
    const streamedDowns = { sdk: [] as number[], stub: [] as number[] };
    const berthPid = server.child.pid!;
    const downCosts = { sdk: [] as Cost[], raw: [] as Cost[], stub: [] as Cost[], relay: [] as Cost[] };
    const stdinUps: number[] = [];
    const relayDowns: number[] = [];
    const relayUps: number[] = [];
    for (let round = 0; round < FILE_ROUNDS; round++) {
      ups.sdk.push((await timed(() => sbx.files.writeFiles([{ path: '/tmp/berth.bin', data }]))).ms);
      ups.raw.push((await timed(() => rawUpload(container, data))).ms);
      ups.stub.push((await timed(() => stub.upload())).ms);
      ups.plain.push((await timed(() => plainUpload(base, data))).ms);
      streamed.sdk.push((await timed(() => sbx.files.writeFiles([{ path: '/tmp/berth-streamed.bin', data: fromDisk() }]))).ms);
      streamed.stub.push((await timed(() => stub.upload(fromDisk()))).ms);
      stdinUps.push(await rawStdinUpload(container, data));
      relayUps.push((await timed(() => relay.upload(fromDisk()))).ms);
      downs.sdk.push(await costed(berthPid, downCosts.sdk, async () => expectBig(await sdkRead(sbx, '/tmp/berth.bin', 'bytes'))));
      downs.raw.push(await costed(berthPid, downCosts.raw, async () => expectBig(await rawDownload(container))));
      downs.stub.push(await costed(berthPid, downCosts.stub, () => stub.download()));
      relayDowns.push(await costed(relay.pid, downCosts.relay, async () => expectBig(await relay.download('/tmp/berth.bin'))));
      streamedDowns.sdk.push((await timed(async () => expectBig(await sdkRead(sbx, '/tmp/berth.bin', 'stream')))).ms);
      streamedDowns.stub.push((await timed(() => stub.download('stream'))).ms);
      downs.plain.push((await timed(async () => expectBig(await plainDownload(`${base}/files/download?path=/tmp/plain.bin`)))).ms);
    }
    await stub.close();
    relay.close();
    const mibs = (ms: number) => round(BIG / 1024 / 1024 / (ms / 1000), 1);
    for (const [what, t] of [
      ['upload', ups],
      ['download', downs],
    ] as const) {
      const m = Object.fromEntries(kinds.map((k) => [k, summarize(t[k]).p50])) as Record<(typeof kinds)[number], number>;
      say(
        `64 MiB ${what}, median of ${FILE_ROUNDS}: SDK via berth ${mibs(m.sdk)} MiB/s | raw archive API ${mibs(m.raw)} MiB/s | ` +
          `SDK to a do-nothing stub ${mibs(m.stub)} MiB/s | plain client via berth ${mibs(m.plain)} MiB/s`,
      );
      say(
        `  ratios: SDK via berth / raw ${round(m.raw / m.sdk)}x (target >= 0.8x) | SDK's own floor / raw ${round(m.raw / m.stub)}x | ` +
          `SDK via berth / SDK's floor ${round(m.stub / m.sdk)}x | plain client via berth / raw ${round(m.raw / m.plain)}x`,
      );
      // On a small machine a transfer is bound by CPU, not by any one process: the engine, the sandbox's own
      // process, berth and the client share the cores, and berth's hop (a read from the engine's socket and a
      // loopback TCP write) costs CPU that the raw path does not spend.
      if (what === 'download') {
        const [b, r, f] = [medianCost(downCosts.sdk), medianCost(downCosts.raw), medianCost(downCosts.stub)];
        say(
          `  CPU per 64 MiB download, medians (${cpus().length} cores): raw archive API ${r.machine} ms on the machine (client ${round(r.client)}) | ` +
            `SDK via berth ${b.machine} ms (berth's process ${b.berth}, client ${round(b.client)}) | SDK from the stub: client ${round(f.client)} | ` +
            `ceiling where CPU binds: raw's / berth's = ${round(r.machine / b.machine)}x`,
        );
        const [sdkStream, stubStream] = [summarize(streamedDowns.sdk).p50, summarize(streamedDowns.stub).p50];
        say(
          `  the same read as a stream (files.readBytesStream): SDK via berth ${mibs(sdkStream)} MiB/s = ${round(m.raw / sdkStream)}x raw ` +
            `(target >= 0.8x) | SDK from the stub ${mibs(stubStream)} MiB/s = ${round(m.raw / stubStream)}x raw`,
        );
        // What the hop itself costs: a relay that does nothing but write the archive's bytes on as they come.
        const [rl, relayMs] = [medianCost(downCosts.relay), summarize(relayDowns).p50];
        say(
          `  a plain relay (bench/lib/relay-floor-server.ts: its own Node process writing the archive's bytes on as they come, nothing else), ` +
            `read by the SDK: ${mibs(relayMs)} MiB/s = ${round(m.raw / relayMs)}x raw (its process ${rl.berth} ms CPU, the machine ${rl.machine} ms) | ` +
            `SDK via berth / that floor ${round(relayMs / m.sdk)}x`,
        );
      }
      // An upload must be whole on berth's disk before the PUT starts: the engine holds the container's lock
      // while it extracts, so a PUT paced by the client would freeze the sandbox for as long as the client
      // takes. Through the SDK, nothing that keeps that rule beats the SDK's own send plus the raw PUT.
      if (what === 'upload') {
        say(
          `  upload floor for a server that keeps the lock short: SDK's floor + raw PUT = ${mibs(m.stub + m.raw)} MiB/s | ` +
            `SDK via berth / that floor ${round((m.stub + m.raw) / m.sdk)}x`,
        );
        const [sdkStream, stubStream] = [summarize(streamed.sdk).p50, summarize(streamed.stub).p50];
        say(
          `  the same with a file stream as the SDK's input (fs.createReadStream): SDK via berth ${mibs(sdkStream)} MiB/s = ` +
            `${round(m.raw / sdkStream)}x raw | SDK to the stub ${mibs(stubStream)} MiB/s = ${round(m.raw / stubStream)}x raw | ` +
            `floor for a server that keeps the lock short ${mibs(stubStream + m.raw)} MiB/s, ` +
            `SDK via berth / that floor ${round((stubStream + m.raw) / sdkStream)}x`,
        );
        // A tar header carries the size before the data, and a streamed body has none: a PUT can only start
        // once the whole file is in. The one channel that needs no size first is an exec's stdin.
        const stdinMs = summarize(stdinUps).p50;
        const bestStream = Math.min(stubStream + m.raw, Math.max(stubStream, stdinMs));
        say(
          `  the one channel that needs no size first, exec stdin into dd (stream already open, no client): ${mibs(stdinMs)} MiB/s = ` +
            `${round(m.raw / stdinMs)}x raw PUT | so through the SDK no server design reaches more than ${round(m.raw / m.stub)}x raw with a Buffer ` +
            `(the SDK's own send) or ${round(m.raw / bestStream)}x with a stream (the better of: all of it, then the PUT; or exec stdin overlapped ` +
            `with the send) (target >= 0.8x)`,
        );
        const relayMs = summarize(relayUps).p50;
        say(
          `  a plain streaming relay (relay-floor-server.ts: the SDK's streamed body, unparsed, piped into that exec's stdin as it comes), ` +
            `from the SDK with a file stream: ${mibs(relayMs)} MiB/s = ${round(m.raw / relayMs)}x raw PUT | ` +
            `SDK via berth / that ${round(relayMs / sdkStream)}x`,
        );
      }
    }

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
