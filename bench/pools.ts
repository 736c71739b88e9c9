/**
 * npm run bench:pools — what a warm pool buys, in one run against a real server (embedded PGlite):
 *  (a) create latency (until the 202 Running) of a poolRef create answered from an idle slot, alternated with
 *      a cold create of the same request (image, entrypoint, limits, env; no poolRef, implicit matching off)
 *      and the raw dockerode create+start floor; p50/p95 and the ratio claim/cold (target p50 <= 0.2);
 *      before every timed create the pool is full again, so the filler never competes with it;
 *  (b) the refill rate: idleTarget slots claimed at once, then the time until the filler has them all back;
 *  (c) the memory the idle sandboxes cost (host PSS of shim + container + docker-proxy; the cgroup's own count) and the server's RSS.
 * Env: BENCH_N (default 20), BENCH_IDLE (idleTarget, default 4). Everything it makes is removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../test/helpers/server.js';
import { memoryOf } from './lib/proc.js';
import { groupMemory, withDescendants } from './lib/proc-tree.js';
import { rawCreateOptions, rawCreateStart, rawRemove, type SandboxShape } from './lib/raw-docker.js';
import { runBench } from './lib/run-bench.js';
import { round, summarize, timed, type Summary } from './lib/stats.js';

const N = Number(process.env.BENCH_N ?? 20);
const IDLE = Number(process.env.BENCH_IDLE ?? 4);
const SHAPE: SandboxShape = { image: 'berth-base:latest', entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: { cpu: '500m', memory: '256Mi' } };
const ENV = { BENCH: 'pools' };
const POOL = 'bench';
// A filler interval that keeps the waits for a full pool short without its passes (a container list and a few
// queries on the embedded database) running under every timed create; the production default is 2000 ms.
const SERVER_ENV = { BERTH_REAPER_INTERVAL_MS: '1000', BERTH_POOL_INTERVAL_MS: '500', BERTH_POOL_IMPLICIT_MATCH: 'false' };

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const rawInstance = `bench-raw-${randomUUID()}`;
const cleanups: (() => Promise<unknown>)[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const request = { image: { uri: SHAPE.image }, entrypoint: SHAPE.entrypoint, resourceLimits: SHAPE.resourceLimits, env: ENV, timeout: 600 };

async function create(server: ServerProc, body: object): Promise<{ ms: number; id: string }> {
  const { ms, value } = await timed(async () => {
    const res = await server.api('/v1/sandboxes', { method: 'POST', body: JSON.stringify(body) });
    const json = (await res.json()) as { id?: string; status?: { state: string } };
    if (res.status !== 202 || !json.id || json.status?.state !== 'Running') throw new Error(`create answered ${res.status}: ${JSON.stringify(json)}`);
    return json.id;
  });
  return { ms, id: value };
}

async function remove(server: ServerProc, id: string): Promise<void> {
  const res = await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`delete answered ${res.status}`);
}

async function idleCount(server: ServerProc): Promise<number> {
  const p = (await (await server.api(`/v1/pools/${POOL}`)).json()) as { status: { idle: number } };
  return p.status.idle;
}

async function waitFull(server: ServerProc): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if ((await idleCount(server)) >= IDLE) return;
    await sleep(20);
  }
  throw new Error('the pool did not fill in 120 s');
}

/** Host processes whose command line holds every one of `parts` (the container's shim, its docker-proxy). */
function pidsWith(parts: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (parts.every((p) => args.includes(p))) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * What each idle pool sandbox costs: the engine's count for its cgroup (without page cache, as docker stats
 * shows it), and the host-side total: PSS of its containerd shim with everything under it (the container's
 * own processes) plus the docker-proxy of each published port.
 */
async function idleMemory(instanceId: string): Promise<{ cgroupMb: Summary; hostPssMb: Summary; hostPssTotalMb: number }> {
  const pooled = (await containersOf(instanceId)).filter((c) => c.Labels['berth.pool'] === POOL && c.State === 'running');
  const cgroup: number[] = [];
  const host: number[] = [];
  for (const c of pooled) {
    const s = (await docker.getContainer(c.Id).stats({ stream: false })) as { memory_stats?: { usage?: number; stats?: { cache?: number } } };
    cgroup.push(((s.memory_stats?.usage ?? 0) - (s.memory_stats?.stats?.cache ?? 0)) / 2 ** 20);
    const ip = Object.values((await docker.getContainer(c.Id).inspect()).NetworkSettings.Networks)[0]?.IPAddress;
    const pids = [...withDescendants(pidsWith(['-id', c.Id])), ...(ip ? pidsWith(['-container-ip', ip]) : [])];
    host.push(groupMemory(pids).pssMb);
  }
  return { cgroupMb: summarize(cgroup), hostPssMb: summarize(host), hostPssTotalMb: round(host.reduce((a, b) => a + b, 0)) };
}

async function main() {
  log(`bench:pools  N=${N}, idleTarget=${IDLE}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer({ dataDir, env: SERVER_ENV });
  cleanups.push(() => server.kill().then(() => removeInstanceContainers(server.instanceId)));
  const rssBefore = memoryOf(server.child.pid!);

  const made = await server.api('/v1/pools', {
    method: 'POST',
    body: JSON.stringify({
      name: POOL,
      template: { image: { uri: SHAPE.image }, entrypoint: SHAPE.entrypoint, resourceLimits: SHAPE.resourceLimits, env: ENV },
      idleTarget: IDLE,
    }),
  });
  if (made.status !== 201) throw new Error(`pool create answered ${made.status}: ${await made.text()}`);
  const firstFill = await timed(() => waitFull(server));
  log(`first fill of ${IDLE}: ${firstFill.ms.toFixed(0)} ms`);

  // warm-up: one of each
  for (const body of [{ ...request, extensions: { poolRef: POOL } }, request]) {
    await waitFull(server);
    await remove(server, (await create(server, body)).id);
  }

  const claim: number[] = [];
  const cold: number[] = [];
  const raw: number[] = [];
  const pooledIds = new Set<string>();
  for (let i = 0; i < N; i++) {
    const doClaim = async () => {
      await waitFull(server);
      const c = await create(server, { ...request, extensions: { poolRef: POOL } });
      claim.push(c.ms);
      pooledIds.add(c.id);
      await remove(server, c.id);
    };
    const doCold = async () => {
      await waitFull(server);
      const c = await create(server, request);
      cold.push(c.ms);
      await remove(server, c.id);
    };
    const doRaw = async () => {
      await waitFull(server);
      const { ms, value } = await timed(() => rawCreateStart(docker, rawCreateOptions(SHAPE, rawInstance)));
      raw.push(ms);
      await rawRemove(value);
    };
    const order = i % 2 === 0 ? [doClaim, doCold, doRaw] : [doRaw, doCold, doClaim];
    for (const step of order) await step();
    log(`  round ${i + 1}/${N}: claim ${claim.at(-1)!.toFixed(1)} ms, cold ${cold.at(-1)!.toFixed(1)} ms, raw ${raw.at(-1)!.toFixed(1)} ms`);
  }

  // (b) empty the pool at once, then time the filler bringing it back
  await waitFull(server);
  const drained = await Promise.all(Array.from({ length: IDLE }, () => create(server, { ...request, extensions: { poolRef: POOL } })));
  const refill = await timed(() => waitFull(server));
  for (const d of drained) await remove(server, d.id);

  await waitFull(server);
  await sleep(500);
  const memory = await idleMemory(server.instanceId);
  const rssAfter = memoryOf(server.child.pid!);

  const s = { claim: summarize(claim), cold: summarize(cold), raw: summarize(raw) };
  const figures = {
    n: N,
    idleTarget: IDLE,
    claim: s.claim,
    cold: s.cold,
    raw: s.raw,
    ratioClaimColdP50: round(s.claim.p50 / s.cold.p50, 3),
    ratioClaimColdP95: round(s.claim.p95 / s.cold.p95, 3),
    ratioColdRawP50: round(s.cold.p50 / s.raw.p50, 3),
    refill: { sandboxes: IDLE, ms: round(refill.ms, 1), perSecond: round(IDLE / (refill.ms / 1000), 2), firstFillMs: round(firstFill.ms, 1) },
    idleMemory: memory,
    serverRssMb: { before: rssBefore.rssMb, after: rssAfter.rssMb },
    targets: { ratioClaimColdP50: 0.2 },
  };
  const fmt = (x: Summary) => `${x.p50.toFixed(1).padStart(8)} ${x.p95.toFixed(1).padStart(8)}`;
  console.log(
    [
      '',
      `                                   p50 ms   p95 ms`,
      `claim from the pool (202)       ${fmt(s.claim)}`,
      `cold create, same request (202) ${fmt(s.cold)}`,
      `raw create+start                ${fmt(s.raw)}`,
      `  ratio claim/cold              ${String(figures.ratioClaimColdP50).padStart(8)} ${String(figures.ratioClaimColdP95).padStart(8)}   (target p50 <= 0.2)`,
      `  ratio cold/raw                ${String(figures.ratioColdRawP50).padStart(8)}`,
      `refill: ${IDLE} claimed at once, back in ${refill.ms.toFixed(0)} ms (${figures.refill.perSecond}/s; first fill ${firstFill.ms.toFixed(0)} ms)`,
      `idle sandboxes: ${memory.hostPssTotalMb} MiB host PSS for ${IDLE} (p50 ${memory.hostPssMb.p50.toFixed(1)} MiB each: shim, container, docker-proxy;` +
        ` the cgroup itself p50 ${memory.cgroupMb.p50.toFixed(2)} MiB)`,
      `server RSS: ${rssBefore.rssMb} -> ${rssAfter.rssMb} MiB`,
      `every claim was a hit: ${pooledIds.size === N}`,
      '',
    ].join('\n'),
  );
  console.log(JSON.stringify(figures));
}

runBench(main, { cleanups, docker, rawInstance, log });
