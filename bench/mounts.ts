/**
 * npm run bench:mounts — the mount ledger's costs, in one run:
 *  (a) ledger throughput on Postgres: acquire (in a transaction, joining a mounted shared mount) + release
 *      pairs per second with 1, 8 and 32 concurrent clients (target: >= 1,000 pairs/s), next to the raw
 *      floor of equally many durable commits through bare postgres.js in four round trips (what the machine
 *      allows); berth's pair takes three (BEGIN travels with the acquire: src/adapters/postgres/pipelined-transaction.ts;
 *      the release is one statement, shared with the releases in flight: drop-refs.ts);
 *  (b) create latency through the API (in-process app, real Docker, real FUSE via s3rver + s3fs behind the
 *      ossfs2 stand-in): without volumes, the first create with a shared ossfs volume (it mounts), and the
 *      ones that join it (target: joining costs < 10% over a create without volumes).
 *      Then the same pairs at 8 clients through a prepared and an unprepared pool (BERTH_DB_PREPARE), alternating.
 * Env: BENCH_PAIRS_SECONDS (3), BENCH_CREATE_N (15), BENCH_SKIP_CREATE=1.
 * Everything it makes (databases, containers, mounts, temp folders) is removed at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { sql } from 'drizzle-orm';
import { DockerodeRuntime } from '../src/adapters/docker/dockerode-runtime.js';
import { openDb } from '../src/adapters/postgres/client.js';
import { sandboxes } from '../src/db/schema/index.js';
import { createFuseMounter } from '../src/adapters/storage/fuse-mounter.js';
import { readMountinfo } from '../src/adapters/storage/mountinfo.js';
import { runCommand } from '../src/adapters/storage/run-command.js';
import { createApp } from '../src/app.js';
import type { Deps } from '../src/domain/deps.js';
import { withTx } from '../src/db/tx.js';
import { acquireVolumes } from '../src/domain/volumes/ledger/acquire.js';
import { Plan } from '../src/domain/volumes/ledger/plan.js';
import { prepareVolumes } from '../src/domain/volumes/prepare.js';
import { releaseSandboxVolumes } from '../src/domain/volumes/ledger/release.js';
import { RecordingLogger } from '../test/fakes/recording-logger.js';
import { FakeMounter } from '../test/fixtures/fake-mounter.js';
import { buildMountDeps, createMountTestDb, createWithVolumes, ossfsVolume } from '../test/fixtures/mount-deps.js';
import { SHIM_DIR, startS3rver } from '../test/fixtures/s3rver.js';
import { round, summarize, timed } from './lib/stats.js';
import { removeContainersLabelled } from '../test/helpers/remove-containers.js';

const PAIR_SECONDS = Number(process.env.BENCH_PAIRS_SECONDS ?? 3);
const CREATE_N = Number(process.env.BENCH_CREATE_N ?? 15);
const say = (s: string) => process.stderr.write(`${s}\n`);
const cleanups: (() => Promise<unknown>)[] = [];

async function ledgerThroughput() {
  const testDb = await createMountTestDb(40);
  cleanups.push(() => testDb.drop());
  const deps = buildMountDeps({ db: testDb.handle.db, mounter: new FakeMounter() });
  // One sandbox keeps the shared mount mounted, so every pair joins and leaves it: the common path.
  const keeper = await createWithVolumes(deps, [ossfsVolume('d')]);
  const template = await prepareVolumes(deps, keeper.sandboxId, [ossfsVolume('d')]);

  const results: Record<string, { ledger: number; floor: number; ratio: number }> = {};
  await testDb.handle.db.execute(sql`create table bench_floor (id text primary key)`);
  for (const clients of [1, 8, 32]) {
    // Sandbox rows first (the references point at them); far more than a run can use.
    const ids = await seedSandboxes(deps, (PAIR_SECONDS + 1) * 4000);
    // A second at this concurrency first: the pool opens its connections, each backend prepares the
    // statements and compiles berth_mount_join once; a long-running server pays that once, not per pair.
    await ledgerPairs(deps, template, ids, clients, 1);
    const l = await ledgerPairs(deps, template, ids, clients, PAIR_SECONDS);
    // The physical floor, measured right after on the same database: raw postgres.js (no drizzle, no berth
    // code, prepared statements) making the same two durable commits per pair in the same four round trips
    // (BEGIN, insert, COMMIT; delete) on a table nothing else touches. What this machine allows at all.
    const raw = testDb.handle.sql!;
    const f = await pairsPerSecond(clients, PAIR_SECONDS, async () => {
      const id = randomUUID();
      await raw.begin((tx) => tx`insert into bench_floor values (${id})`);
      await raw`delete from bench_floor where id = ${id}`;
      return true;
    });
    results[`${clients} client${clients > 1 ? 's' : ''}`] = { ledger: l.perSecond, floor: f.perSecond, ratio: round(l.perSecond / f.perSecond, 2) };
    say(
      `ledger: ${clients} clients -> ${l.perSecond} pairs/s; raw floor ${f.perSecond} pairs/s; ratio ${round(l.perSecond / f.perSecond, 2)}; ` +
        `client CPU per pair ${l.cpuMs} ms (floor ${f.cpuMs} ms)`,
    );
  }
  return { ...results, '8 clients, prepared vs not': await preparedGain(testDb, template) };
}

/**
 * What prepared statements (BERTH_DB_PREPARE, the default) are worth to the ledger: 8 clients on the same
 * database through a prepared and an unprepared pool, alternating rounds (the machine's load drifts), medians.
 */
async function preparedGain(testDb: Awaited<ReturnType<typeof createMountTestDb>>, template: Plan) {
  const unpreparedDb = await openDb({ databaseUrl: testDb.url, poolSize: 40, prepare: false });
  cleanups.push(() => unpreparedDb.close());
  const pools = {
    prepared: buildMountDeps({ db: testDb.handle.db, mounter: new FakeMounter() }),
    unprepared: buildMountDeps({ db: unpreparedDb.db, mounter: new FakeMounter() }),
  };
  const rounds = { prepared: [] as number[], unprepared: [] as number[] };
  const ids = await seedSandboxes(pools.prepared, GAIN_ROUNDS * 2 * 2 * 4000 + 4000);
  await ledgerPairs(pools.unprepared, template, ids, 8, 0.5); // warm-up of the second pool
  for (let r = 0; r < GAIN_ROUNDS; r++)
    for (const k of r % 2 === 0 ? (['prepared', 'unprepared'] as const) : (['unprepared', 'prepared'] as const))
      rounds[k].push((await ledgerPairs(pools[k], template, ids, 8, 2)).perSecond);
  const prepared = median(rounds.prepared);
  const unprepared = median(rounds.unprepared);
  say(
    `ledger: 8 clients, ${GAIN_ROUNDS} alternating rounds -> prepared ${rounds.prepared.join('/')} (median ${prepared}), ` +
      `unprepared ${rounds.unprepared.join('/')} (median ${unprepared}); gain ${round(prepared / unprepared, 2)}x`,
  );
  return { prepared, unprepared, gain: round(prepared / unprepared, 2) };
}

const GAIN_ROUNDS = 4;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** `n` Running sandbox rows for the pairs to reference, and a cursor that hands each out once. */
async function seedSandboxes(deps: ReturnType<typeof buildMountDeps>, n: number) {
  const ids = Array.from({ length: Math.ceil(n) }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 1000) {
    const now = new Date();
    await deps.db.insert(sandboxes).values(
      ids.slice(i, i + 1000).map((id) => ({
        id,
        state: 'Running' as const,
        lastTransitionAt: now,
        image: 'x',
        entrypoint: [],
        createdAt: now,
        containerName: `s-${id}`,
        hostId: deps.config.hostId,
      })),
    );
  }
  let next = 0;
  return () => (next < ids.length ? ids[next++]! : null);
}

/** `clients` loops of one ledger pair each (acquire in a transaction, joining; release) for `seconds`. */
function ledgerPairs(deps: ReturnType<typeof buildMountDeps>, template: Plan, nextId: () => string | null, clients: number, seconds: number) {
  return pairsPerSecond(clients, seconds, async () => {
    const id = nextId();
    if (id === null) return false;
    const plan = new Plan(id, template.volumes, template.mounts);
    await withTx(deps.db, (tx) => acquireVolumes(tx, deps, plan));
    await releaseSandboxVolumes(deps, id, { removeManaged: false });
    return true;
  });
}

/** `clients` loops running `pair` (until it says there is no more) for `seconds`: pairs per second, client CPU per pair. */
async function pairsPerSecond(clients: number, seconds: number, pair: () => Promise<boolean>) {
  let pairs = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline && (await pair())) pairs++;
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: Math.round(pairs / ((performance.now() - t0) / 1000)), cpuMs: round((cpu.user + cpu.system) / 1000 / pairs, 2) };
}

async function createLatency() {
  const s3 = await startS3rver(['bench-bucket']);
  cleanups.push(() => s3.stop());
  const testDb = await createMountTestDb(10);
  cleanups.push(() => testDb.drop());
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-mounts-'));
  cleanups.push(async () => {
    for (const e of (await readMountinfo()).filter((m) => m.mountPoint.startsWith(`${work}/`)).reverse())
      await runCommand('umount', ['-l', e.mountPoint], { timeoutMs: 10_000 });
    await rm(work, { recursive: true, force: true });
  });
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const log = new RecordingLogger();
  const runtime = new DockerodeRuntime(docker, log);
  const instanceId = `bench-mounts-${randomUUID().slice(0, 8)}`;
  cleanups.push(() => removeContainersLabelled(docker, `berth.instance=${instanceId}`));
  const mounter = createFuseMounter({
    root: join(work, 'root'),
    ossfsBin: join(SHIM_DIR, 'ossfs'),
    ossfs2Bin: join(SHIM_DIR, 'ossfs2'),
    credentialDir: join(work, 'credentials'),
    log,
  });
  const config = { publishedPorts: [8080], networkMode: 'bridge', apiKey: 'bench-mounts-key' };
  const deps: Deps = buildMountDeps({ db: testDb.handle.db, runtime, log, mounter, instanceId, config });
  const app = createApp(deps);
  const headers = { 'content-type': 'application/json', 'OPEN-SANDBOX-API-KEY': 'bench-mounts-key' };
  const secret = `sk-${randomBytes(8).toString('hex')}`;
  const body = (volumes: unknown[]) =>
    JSON.stringify({
      image: { uri: 'berth-base:latest' },
      entrypoint: ['tail', '-f', '/dev/null'],
      resourceLimits: { cpu: '500m', memory: '256Mi' },
      timeout: 600,
      volumes,
    });
  const shared = [
    {
      name: 'data',
      mountPath: '/data',
      subPath: 'bench',
      ossfs: { bucket: 'bench-bucket', endpoint: s3.endpoint, version: '2.0', accessKeyId: 'S3RVER', accessKeySecret: secret },
    },
  ];
  const create = async (volumes: unknown[]) => {
    const { ms, value } = await timed(async () => {
      const res = await app.request('/v1/sandboxes', { method: 'POST', headers, body: body(volumes) });
      const json = (await res.json()) as { id?: string };
      if (res.status !== 202 || !json.id) throw new Error(`create answered ${res.status}: ${JSON.stringify(json)}`);
      return json.id;
    });
    return { ms, id: value };
  };
  const remove = (id: string) => app.request(`/v1/sandboxes/${id}`, { method: 'DELETE', headers });

  // Warm-up: image cache, first-query plans.
  for (let i = 0; i < 2; i++) await remove((await create([])).id);
  const plain: number[] = [];
  const joining: number[] = [];
  const first = await create(shared);
  const held: string[] = [first.id];
  for (let i = 0; i < CREATE_N; i++) {
    const p = await create([]);
    plain.push(p.ms);
    await remove(p.id);
    const j = await create(shared);
    joining.push(j.ms);
    held.push(j.id);
  }
  for (const id of held) await remove(id);
  const a = summarize(plain);
  const b = summarize(joining);
  return {
    withoutVolumes: a,
    firstWithSharedOssfs: round(first.ms),
    joiningSharedOssfs: b,
    joinOverheadP50: `${round(((b.p50 - a.p50) / a.p50) * 100, 1)}%`,
  };
}

async function main() {
  const out: Record<string, unknown> = { ledgerPairsPerSecond: await ledgerThroughput() };
  if (!process.env.BENCH_SKIP_CREATE) out.createLatencyMs = await createLatency();
  console.log(JSON.stringify(out, null, 2));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => say(`cleanup: ${String(e)}`));
    process.exit();
  });
