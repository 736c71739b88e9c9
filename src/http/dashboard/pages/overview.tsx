import type { Hono } from 'hono';
import { CHART_BUCKETS, dashboardOverview } from '../../../domain/dashboard/overview.js';
import type { Deps } from '../../../domain/deps.js';
import { headSeq } from '../../../domain/events/read.js';
import { DataTable } from '../components.js';
import { href, page, stateBadge, when, type Html } from '../layout.js';

/** Creates and failures per five minutes as an SVG bar chart: drawn on the server, no script, no inline style. */
function chart(creates: number[], failures: number[]): Html {
  const max = Math.max(1, ...creates, ...failures);
  const w = 24;
  const h = 100;
  const bars = creates.map((n, i) => {
    const f = failures[i] ?? 0;
    const x = 10 + i * (2 * w + 6);
    const ch = Math.round((n / max) * h);
    const fh = Math.round((f / max) * h);
    return (
      <>
        <rect x={x} y={110 - ch} width={w} height={ch} fill="#0b57d0">
          <title>{n} created</title>
        </rect>
        <rect x={x + w} y={110 - fh} width={w} height={fh} fill="url(#failed-hatch)">
          <title>{f} failed</title>
        </rect>
      </>
    );
  });
  const width = 20 + CHART_BUCKETS * (2 * w + 6);
  const total = (a: number[]) => a.reduce((s, n) => s + n, 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} 130`} width={width} height="130" role="img" aria-labelledby="chart-desc">
        <desc id="chart-desc">Sandboxes created and failed per five minutes over the last hour</desc>
        {/* failures are hatched as well as red: the two kinds of bar differ without colour */}
        <defs>
          <pattern id="failed-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" fill="#a40e26" />
            <line x1="1.5" y1="0" x2="1.5" y2="6" stroke="#ffffff" stroke-width="2" />
          </pattern>
        </defs>
        <line x1="8" y1="110" x2={width - 8} y2="110" stroke="#5b636d" />
        {bars}
        <text x="10" y="126" font-size="11" fill="#5b636d">
          −60 min
        </text>
        <text x={width - 40} y="126" font-size="11" fill="#5b636d">
          now
        </text>
      </svg>
      <figcaption class="legend">
        <span>■ solid blue, left bar: created ({total(creates)} in the hour)</span>
        <span>▨ hatched red, right bar: failed ({total(failures)})</span>
      </figcaption>
    </figure>
  );
}

export function registerOverview(app: Hono, deps: Deps): void {
  app.get(href(''), async (c) => {
    const [o, seq] = await Promise.all([dashboardOverview(deps), headSeq(deps)]);
    const content = (
      <>
        <h1>Overview</h1>
        <section id="overview-states" data-live="" aria-labelledby="h-states">
          <h2 id="h-states">Sandboxes by state</h2>
          <div class="cards">
            {Object.entries(o.byState).map(([state, n]) => (
              <a class="card" href={href(`/sandboxes?state=${state}`)} data-state={state}>
                <b>{n}</b>
                {stateBadge(state)}
              </a>
            ))}
          </div>
        </section>
        <section id="overview-chart" data-live="" aria-labelledby="h-chart">
          <h2 id="h-chart">Creates and failures, last hour</h2>
          {chart(o.creates, o.failures)}
        </section>
        <section id="overview-expiring" data-live="" aria-labelledby="h-exp">
          <h2 id="h-exp">Expiring in the next 15 minutes</h2>
          {o.expiringSoon.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <DataTable columns={['Sandbox', 'State', 'Expires']}>
              {o.expiringSoon.map((s) => (
                <tr>
                  <td class="mono">
                    <a href={href(`/sandboxes/${s.id}`)}>{s.id}</a>
                  </td>
                  <td>{stateBadge(s.state)}</td>
                  <td>{when(s.expiresAt)}</td>
                </tr>
              ))}
            </DataTable>
          )}
        </section>
        <section id="overview-mounts" data-live="" aria-labelledby="h-mnt">
          <h2 id="h-mnt">Mounts degraded or failed</h2>
          {o.degradedMounts.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <DataTable columns={['Mount', 'State', 'Health', 'Last error']}>
              {o.degradedMounts.map((m) => (
                <tr>
                  <td class="mono">
                    <a href={href(`/mounts/${m.id}`)}>{m.id}</a>
                  </td>
                  <td>{stateBadge(m.state)}</td>
                  <td>{stateBadge(m.health)}</td>
                  <td>{m.lastError ?? ''}</td>
                </tr>
              ))}
            </DataTable>
          )}
        </section>
      </>
    );
    return c.html(page(c, { title: 'Overview', nav: 'overview', stream: href(`/stream?after=${seq}`) }, content));
  });
}
