/**
 * npm run bench:dashboard — what the dashboard costs, in one run, on Postgres holding 10,000 live sandboxes:
 *  (a) server-side time (the access log's durationMs) to render /dashboard/sandboxes: first page, a state
 *      filter, a metadata filter and a deep page; against the floor measured in the same run, GET /v1/sandboxes
 *      with the same query (the same list verb and database work, answered as JSON). Target: p50 < 50 ms.
 *  (b) the weight of the first page load after sign-in (the overview HTML, its stylesheet and its script, as
 *      sent, uncompressed): target < 200 KB; and the same for the sign-in page (a new visitor's first load)
 *      and the sandbox list page.
 * Env: BENCH_LIST_ROWS (10000), BENCH_REPS (100). The database and the server are removed at the end.
 */
import { hostname } from 'node:os';
import { runMigrations } from '../src/adapters/postgres/migrate.js';
import { createPostgresTestDb } from '../test/helpers/db.js';
import { TEST_API_KEY } from '../test/helpers/keys.js';
import { startServer, type ServerProc } from '../test/helpers/server.js';
import { SEED, seedSandboxRows } from './lib/seed.js';
import { serverDurations } from './lib/server-log.js';
import { summarize, type Summary } from './lib/stats.js';

const ROWS = Number(process.env.BENCH_LIST_ROWS ?? 10_000);
const REPS = Number(process.env.BENCH_REPS ?? 100);
const TARGET_P50_MS = 50;
const TARGET_FIRST_LOAD_KB = 200;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The sign-in form as a browser posts it: the page's nonce cookie and CSRF token, then the key. */
async function signIn(server: ServerProc): Promise<string> {
  const form = await fetch(`${server.url}/dashboard/sign-in`);
  const nonce = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${server.url}/dashboard/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: server.url, cookie: nonce, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, key: TEST_API_KEY }),
  });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('berth_dashboard='))!
    .split(';')[0]!;
}

let seq = 0;
async function timedServerSide(server: ServerProc, url: string, headers: Record<string, string>, tag: string, check: (body: string) => void): Promise<Summary> {
  const once = async (prefix: string) => {
    const res = await fetch(`${server.url}${url}`, { headers: { ...headers, 'X-Request-ID': `${prefix}${++seq}` } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    check(body);
  };
  for (let i = 0; i < 10; i++) await once('bench-warm-');
  for (let i = 0; i < REPS; i++) await once(`bench-${tag}-`);
  return summarize(serverDurations(server, `bench-${tag}-`));
}

/** Bytes of a page plus the stylesheet and script it links (what a first visit downloads). */
async function pageWeight(
  server: ServerProc,
  path: string,
  cookie: string,
): Promise<{ htmlBytes: number; cssBytes: number; jsBytes: number; totalKb: number }> {
  const html = await (await fetch(`${server.url}${path}`, { headers: { cookie } })).text();
  const asset = async (re: RegExp) => {
    const href = re.exec(html)?.[1];
    if (!href) throw new Error(`no asset ${re} in ${path}`);
    return (await (await fetch(`${server.url}${href}`)).arrayBuffer()).byteLength;
  };
  const htmlBytes = Buffer.byteLength(html);
  const cssBytes = await asset(/href="(\/dashboard\/assets\/[^"]+\.css)"/);
  const jsBytes = await asset(/src="(\/dashboard\/assets\/[^"]+\.js)"/);
  return { htmlBytes, cssBytes, jsBytes, totalKb: Math.round(((htmlBytes + cssBytes + jsBytes) / 1024) * 10) / 10 };
}

async function main() {
  const db = await createPostgresTestDb({ migrate: false });
  let server: ServerProc | undefined;
  try {
    await runMigrations(db.handle);
    log(`seeding ${ROWS} sandbox rows`);
    await seedSandboxRows(db.handle.db, ROWS, hostname());
    await db.handle.sql!.unsafe('analyze sandboxes');
    server = await startServer({ databaseUrl: db.url, env: { BERTH_REAPER_INTERVAL_MS: '1000' } });
    const cookie = await signIn(server);
    const pageSize = 50;
    const metadata = 'team=team-3, env=prod';
    const queries = {
      first: { dash: `?pageSize=${pageSize}`, api: `?pageSize=${pageSize}` },
      state: { dash: `?state=Running&pageSize=${pageSize}`, api: `?state=Running&pageSize=${pageSize}` },
      metadata: {
        dash: `?metadata=${encodeURIComponent(metadata)}&pageSize=${pageSize}`,
        api: `?metadata=${encodeURIComponent('team=team-3&env=prod')}&pageSize=${pageSize}`,
      },
      deep: { dash: `?page=150&pageSize=${pageSize}`, api: `?page=150&pageSize=${pageSize}` },
    };
    const rowsIn = (body: string) => (body.match(/<tr data-sandbox=/g) ?? []).length;
    const render: Record<string, { dashboard: Summary; apiFloor: Summary; ratio: number }> = {};
    for (const [name, q] of Object.entries(queries)) {
      const expected = name === 'metadata' ? Math.min(pageSize, SEED.metadataMatches(ROWS)) : pageSize;
      const dashboard = await timedServerSide(server, `/dashboard/sandboxes${q.dash}`, { cookie }, `dash-${name}`, (b) => {
        if (rowsIn(b) !== expected) throw new Error(`${name}: ${rowsIn(b)} rows rendered, expected ${expected}`);
      });
      const apiFloor = await timedServerSide(server, `/v1/sandboxes${q.api}`, server.headers, `api-${name}`, () => {});
      render[name] = { dashboard, apiFloor, ratio: Math.round((dashboard.p50 / apiFloor.p50) * 100) / 100 };
      log(`${name}: dashboard p50 ${dashboard.p50} ms p95 ${dashboard.p95} ms; API floor p50 ${apiFloor.p50} ms (x${render[name]!.ratio})`);
    }
    const signInLoad = await pageWeight(server, '/dashboard/sign-in', '');
    const firstLoad = await pageWeight(server, '/dashboard', cookie);
    const listLoad = await pageWeight(server, `/dashboard/sandboxes?pageSize=${pageSize}`, cookie);
    const worstP50 = Math.max(...Object.values(render).map((r) => r.dashboard.p50));
    const result = {
      rows: ROWS,
      reps: REPS,
      pageSize,
      render,
      signInLoad,
      firstLoad,
      listLoad,
      targets: {
        renderP50Ms: { target: TARGET_P50_MS, worst: worstP50, met: worstP50 < TARGET_P50_MS },
        firstLoadKb: { target: TARGET_FIRST_LOAD_KB, actual: firstLoad.totalKb, met: firstLoad.totalKb < TARGET_FIRST_LOAD_KB },
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server?.kill();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
