import { randomUUID } from 'node:crypto';
import { sandboxes, type NewSandboxRow } from '../../src/db/schema/index.js';
import type { Db } from '../../src/adapters/postgres/client.js';

/** What the seeded rows look like, so the benchmark can check the server's totals. */
export const SEED = {
  metadataFilter: { team: 'team-3', env: 'prod' },
  /** rows i with i % 30 === 3 carry team-3 and env=prod */
  metadataMatches: (n: number) => Math.floor((n - 4) / 30) + 1,
  pausedEvery: 20,
};

/**
 * n live sandbox rows with realistic metadata and no containers (containerId null, so the reconciler
 * leaves them alone), 1 in 20 Paused, the rest Running; expiries days away (or none) so the reaper
 * does not touch them. Inserted in batches through drizzle.
 */
export async function seedSandboxRows(db: Db, n: number, hostId: string): Promise<void> {
  const now = Date.now();
  const rows: NewSandboxRow[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const createdAt = new Date(now - (n - i) * 60_000);
    rows.push({
      id,
      state: i % SEED.pausedEvery === 0 ? 'Paused' : 'Running',
      reason: 'CONTAINER_RUNNING',
      message: 'Sandbox container started successfully.',
      lastTransitionAt: createdAt,
      image: i % 2 ? 'python:3.11-slim' : 'node:20-bookworm',
      entrypoint: ['tail', '-f', '/dev/null'],
      env: { LANG: 'C.UTF-8', JOB_ID: `job-${i}` },
      resourceLimits: { cpu: '1', memory: '2Gi' },
      metadata: {
        team: `team-${i % 10}`,
        env: i % 3 === 0 ? 'prod' : 'dev',
        owner: `user-${i % 200}`,
        'app.example.com/service': `svc-${i % 50}`,
      },
      extensions: {},
      timeoutSeconds: i % 5 === 0 ? null : 86_400,
      createdAt,
      expiresAt: i % 5 === 0 ? null : new Date(now + 7 * 86_400_000),
      containerName: `sandbox-${id}`,
      hostId,
      ports: {},
    });
  }
  for (let i = 0; i < rows.length; i += 500) await db.insert(sandboxes).values(rows.slice(i, i + 500));
}
