import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../helpers/app.js';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { removeInstanceContainers, startServer, TEST_API_KEY, type ServerProc } from '../helpers/server.js';
import { apiLedger, findLeftovers, removeSnapshotImages, sqlLedger } from './leftovers.js';
import { Prng, seedFromEnv } from './prng.js';
import { IMAGE, makeRequest, malformedBytes, type FuzzRequest, type Known } from './requests.js';
import { appRoutes } from './route-table.js';
import { closeAgent, send, sendRaw, type Answer } from './send.js';

// A seeded fuzz run over every route the app registers, against a real server process (Postgres, the real
// Docker engine). Most requests are refused before Docker; the few valid creates start real containers,
// which the run deletes afterwards. Asserted: no 5xx, a JSON {code, message} on every 4xx, an X-Request-ID
// on every answer, nothing half-made after the run, and /health still answering.
//
// BERTH_FUZZ_SEED=<n> replays a run's requests (ids the run learns, such as a created sandbox's, depend on
// timing); BERTH_FUZZ_REQUESTS=<n> sets the count (default 5000); BERTH_FUZZ_CONCURRENCY (default 6);
// BERTH_FUZZ_ROUTES=<regex> keeps only the routes whose "METHOD /path" it matches (a focused hunt).

const SEED = seedFromEnv(process.env);
const COUNT = Number(process.env.BERTH_FUZZ_REQUESTS ?? 5000);
const CONCURRENCY = Number(process.env.BERTH_FUZZ_CONCURRENCY ?? 6);
const ONLY = process.env.BERTH_FUZZ_ROUTES ? new RegExp(process.env.BERTH_FUZZ_ROUTES) : null;
const PROXY_PORT = 8081;
/** share of requests sent as raw bytes Node's parser refuses */
const MALFORMED_SHARE = 0.01;

type Finding = { i: number; why: string; request: string; answer: string; requestId?: string };

const clip = (s: string | undefined, n = 300) => (s === undefined ? '' : s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);
const describeRequest = (req: FuzzRequest) => {
  const { 'OPEN-SANDBOX-API-KEY': key, ...headers } = req.headers;
  const keyIs = key === TEST_API_KEY ? 'right' : key === undefined ? 'none' : 'wrong';
  return `${req.method} ${clip(req.target, 200)} key=${keyIs} ${JSON.stringify(headers)} body=${clip(req.body)}`;
};

describe.each(DB_KINDS)(`fuzz: every route on %s, seed ${SEED}`, (kind) => {
  let db: TestDb | undefined;
  let server: ServerProc;
  let dirs: { tmp: string; ossfs: string; host: string };
  const accepted = new Set<string>();
  const known: Known = {
    apiKey: TEST_API_KEY,
    pinned: '',
    victims: [],
    snapshots: [],
    webhooks: [],
    commands: [],
    sessions: [],
    proxyPort: PROXY_PORT,
    hostRoot: '',
  };

  const ledgerOf = () => (db ? sqlLedger(db.url) : apiLedger((path) => server.api(path)));

  const create = async (entrypoint: string[]) => {
    const res = await server.api('/v1/sandboxes', {
      method: 'POST',
      body: JSON.stringify({ image: { uri: IMAGE }, entrypoint, resourceLimits: { cpu: '250m', memory: '64Mi' }, timeout: 900 }),
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(202);
    accepted.add(body.id);
    return body.id as string;
  };

  beforeAll(async () => {
    console.log(`fuzz: seed ${SEED} (BERTH_FUZZ_SEED=${SEED} replays it), ${COUNT} requests, concurrency ${CONCURRENCY}`);
    // Postgres: a fresh database the checks read with SQL; PGlite: the server's own embedded one (read through the API)
    if (kind === 'postgres') db = await createPostgresTestDb();
    dirs = {
      tmp: mkdtempSync(join(tmpdir(), 'berth-fuzz-tmp-')),
      ossfs: mkdtempSync(join(tmpdir(), 'berth-fuzz-ossfs-')),
      host: mkdtempSync(join(tmpdir(), 'berth-fuzz-host-')),
    };
    // the one host path prefix allowed: a directory and a regular file in it (no directory can be made below a file)
    mkdirSync(join(dirs.host, 'dir'));
    writeFileSync(join(dirs.host, 'file'), 'fuzz');
    known.hostRoot = dirs.host;
    server = await startServer({
      ...(db && { databaseUrl: db.url }),
      env: { TMPDIR: dirs.tmp, BERTH_OSSFS_MOUNT_ROOT: dirs.ossfs, BERTH_WEBHOOK_ALLOW_PRIVATE: 'false', BERTH_ALLOWED_HOST_PATHS: dirs.host },
    });
    // busybox httpd in the pinned sandbox gives the server proxy something to reach
    known.pinned = await create(['sh', '-c', `httpd -p ${PROXY_PORT} -h /tmp; exec tail -f /dev/null`]);
    known.victims.push(await create(['tail', '-f', '/dev/null']), await create(['tail', '-f', '/dev/null']));
  });

  afterAll(async () => {
    closeAgent();
    if (server) {
      const ledger = ledgerOf();
      const live = await ledger.live().catch(() => []);
      await ledger.close();
      for (const row of live) await server.api(`/v1/sandboxes/${row.id}`, { method: 'DELETE' }).catch(() => {});
      await server.kill();
      // the server bind-mounts its ossfs root onto itself (a shared mount) when it starts
      if (dirs) spawnSync('umount', [dirs.ossfs]);
      await removeInstanceContainers(server.instanceId);
      await removeSnapshotImages(server.instanceId);
    }
    await db?.drop();
    if (dirs) for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  });

  it(
    'answers every hostile request below 500, in berth error shape, and leaves nothing half-made',
    async () => {
      const started = Date.now();
      const routes = appRoutes().filter((rt) => !ONLY || ONLY.test(`${rt.method} ${rt.path}`));
      const master = new Prng(SEED);
      const plan = Array.from({ length: COUNT }, (_, i) => ({ i, r: master.fork() }));
      const byStatus = new Map<number, number>();
      let unreachableRegistry = 0;
      const hits = new Map<string, number>(routes.map((rt) => [`${rt.method} ${rt.path}`, 0]));
      const findings: Finding[] = [];
      const note = (i: number, why: string, request: string, answer: string, requestId?: string) =>
        findings.push({ i, why, request, answer: clip(answer, 400), ...(requestId && { requestId }) });

      const learn = (req: FuzzRequest, a: Answer) => {
        if (a.status < 200 || a.status > 299) return;
        const p = req.target.split('?')[0]!.replace(/^\/v1/, '');
        let json: { id?: unknown } | undefined;
        try {
          json = JSON.parse(a.body);
        } catch {
          json = undefined;
        }
        const id = typeof json?.id === 'string' ? json.id : undefined;
        if (req.method === 'POST' && p === '/sandboxes' && id) {
          accepted.add(id);
          known.victims.push(id);
        } else if (req.method === 'POST' && p.endsWith('/snapshots') && id) known.snapshots.push(id);
        else if (req.method === 'POST' && p === '/webhooks' && id) known.webhooks.push(id);
        else if (req.method === 'POST' && p.endsWith('/session') && typeof (json as { session_id?: unknown })?.session_id === 'string')
          known.sessions.push((json as { session_id: string }).session_id);
        else if (req.method === 'POST' && p.endsWith('/command')) {
          const init = /"type":\s*"init"[^}]*"text":\s*"([^"]+)"/.exec(a.body);
          if (init) known.commands.push(init[1]!);
        }
      };

      const judge = (i: number, req: FuzzRequest, a: Answer) => {
        byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
        const request = describeRequest(req);
        // the one 5xx by design (README, execd): 501 NOT_SUPPORTED for /code* (no Jupyter in the image); a tool
        // (rm, mv, mkdir, ...) a request deleted from the pinned sandbox earlier in the run is a 400 NOT_SUPPORTED
        const notSupported =
          a.status === 501 &&
          /\/proxy\/44772\//.test(req.target) &&
          (a.body.includes('"code":"NOT_SUPPORTED"') || (req.method === 'HEAD' && /\/proxy\/44772\/code(\/|\?|$)/.test(req.target)));
        const proxied = req.target.includes(`${known.pinned}/proxy/${PROXY_PORT}`) && !a.body.startsWith('{"code"');
        // a gateway's answer by design (upstream's proxy too): nothing listens on that port of a running sandbox
        const noListener =
          a.status === 502 &&
          /\/proxy\/\d+/.test(req.target) &&
          !/\/proxy\/44772(\/|\?|$)/.test(req.target) &&
          a.body.includes('"code":"SANDBOX::PROXY_UPSTREAM_UNAVAILABLE"');
        // upstream's answer by design (500 DOCKER::SANDBOX_IMAGE_PULL_FAILED): a create naming an image that is
        // not here, on a machine that reaches no registry (this one, and CI, are offline). A real registry
        // would answer 404 for such a name, which berth turns into 400 DOCKER::IMAGE_NOT_FOUND (image-pull.e2e).
        const noRegistry =
          a.status === 500 &&
          req.method === 'POST' &&
          /^(\/v1)?\/sandboxes(\?|$)/.test(req.target) &&
          a.body.includes('"code":"DOCKER::SANDBOX_IMAGE_PULL_FAILED"') &&
          /dial tcp|no such host|connection refused|i\/o timeout/.test(a.body);
        if (noRegistry) unreachableRegistry++;
        if (a.status >= 500 && !notSupported && !proxied && !noListener && !noRegistry)
          return note(i, `status ${a.status}`, request, a.body, String(a.headers['x-request-id']));
        if (!a.headers['x-request-id']) note(i, 'no X-Request-ID', request, `${a.status} ${a.body}`);
        // the dashboard answers browsers (HTML, redirects); the server proxy passes the sandbox's own answers through
        const ownAnswer = !req.target.startsWith('/dashboard') && !req.target.includes(`${known.pinned}/proxy/${PROXY_PORT}`);
        if (a.status >= 400 && ownAnswer && req.method !== 'HEAD') {
          let body: { code?: unknown; message?: unknown } | undefined;
          try {
            body = JSON.parse(a.body);
          } catch {
            body = undefined;
          }
          if (!String(a.headers['content-type']).includes('application/json') || typeof body?.code !== 'string' || typeof body?.message !== 'string')
            note(i, `${a.status} without a JSON {code, message}`, request, `${a.headers['content-type']} ${a.body}`);
        }
      };

      const judgeRaw = (i: number, bytes: string, raw: string) => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
        const ok = status >= 400 && status < 500 && /x-request-id: [0-9a-f]{32}/i.test(raw) && /^\{"code":"[^"]+","message":"[^"]*"\}$/.test(body);
        if (!ok) note(i, 'raw malformed request not answered in berth error shape', `RAW ${JSON.stringify(clip(bytes, 200))}`, raw);
      };

      let next = 0;
      const worker = async () => {
        while (next < plan.length) {
          const { i, r } = plan[next++]!;
          if (r.chance(MALFORMED_SHARE)) {
            const bytes = malformedBytes(r, TEST_API_KEY);
            try {
              judgeRaw(i, bytes, await sendRaw(server.port, bytes));
            } catch (err) {
              note(i, `raw exchange failed: ${String(err)}`, `RAW ${JSON.stringify(clip(bytes, 200))}`, '');
            }
            continue;
          }
          const route = r.pick(routes);
          const req = makeRequest(r, route, known);
          hits.set(req.route, (hits.get(req.route) ?? 0) + 1);
          try {
            const a = await send(server.port, req);
            judge(i, req, a);
            learn(req, a);
          } catch (err) {
            note(i, `no answer: ${String(err)}`, describeRequest(req), '');
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));

      if (server.child.exitCode !== null || server.child.signalCode !== null)
        throw new Error(`the server died during the run:\n${server.lines.slice(-30).join('\n')}`);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);

      // snapshot commits run after their 202: let them settle before judging what is left
      const waitUntil = Date.now() + 60_000;
      for (;;) {
        const list = (await (await server.api('/v1/snapshots?state=Creating&state=Deleting&pageSize=200')).json()) as { items: unknown[] };
        if (list.items.length === 0 || Date.now() > waitUntil) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      const ledger = ledgerOf();
      const leftovers = await findLeftovers({ accepted, instanceId: server.instanceId, ledger, emptyDirs: [dirs.tmp, dirs.ossfs] }).finally(() =>
        ledger.close(),
      );

      const statuses = [...byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
      const unhit = [...hits.entries()].filter(([, n]) => n === 0).map(([k]) => k);
      console.log(
        `fuzz: seed ${SEED}, ${COUNT} requests over ${routes.length} routes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `by status { ${statuses.join(', ')} }; ${accepted.size} sandboxes created, ${known.snapshots.length} snapshots; ` +
          `${unreachableRegistry} creates of an image no registry could be reached for; ` +
          `${findings.length} findings, ${leftovers.length} leftovers`,
      );
      // one example of each kind of finding (the route and what went wrong), with how often it happened
      const kinds = new Map<string, { n: number; first: Finding }>();
      for (const f of findings) {
        const key = `${f.why} | ${f.request.split(' ')[0]} ${f.request
          .split(' ')[1]!
          .split('?')[0]!
          .replace(/\/(sandboxes|snapshots|webhooks)\/[^/]+/, '/$1/{id}')}`;
        const k = kinds.get(key) ?? { n: 0, first: f };
        k.n++;
        kinds.set(key, k);
      }
      for (const [key, { n, first }] of kinds) console.log(`${n} x ${key}\n  #${first.i} ${first.request}\n  -> ${first.answer}`);
      // what the server logged for each 5xx (its unhandled-error line carries the request id)
      for (const f of findings.filter((x) => x.requestId).slice(0, 10))
        for (const l of server.lines.filter((x) => x.includes(f.requestId!) && !x.includes('"msg":"request"')))
          console.log(`server log for #${f.i}: ${clip(l, 1500)}`);
      if (db && findings.some((f) => f.why.startsWith('no answer'))) {
        const activity = await db.handle.db.execute(
          `select state, wait_event_type, wait_event, left(query, 120) as query, now() - xact_start as in_tx
           from pg_stat_activity where datname = current_database()`,
        );
        console.log(`database sessions after the run: ${JSON.stringify(activity)}`);
      }

      for (const l of leftovers) console.log(`left behind: ${l}`);

      expect.soft(findings.map((f) => `#${f.i} ${f.why}: ${clip(f.request, 200)}`)).toEqual([]);
      expect.soft(leftovers).toEqual([]);
      // every route was tried (only meaningful when the count gives each a fair number of draws)
      if (COUNT >= routes.length * 20) expect.soft(unhit).toEqual([]);
    },
    Math.max(300_000, COUNT * 60),
  );
});
