import { describe, expect, it } from 'vitest';
import { removeInstanceContainers, startServer } from '../helpers/server.js';

// berth never runs open by accident: without an API key it refuses to start unless told to run open.
describe('start-up without an API key', () => {
  it('refuses to start and says why', async () => {
    await expect(startServer({ env: { BERTH_API_KEY: '' } })).rejects.toThrow(/exited with 2[\s\S]*no API key/);
  });

  it('runs without authentication only when BERTH_INSECURE_NO_AUTH is set', async () => {
    const server = await startServer({ env: { BERTH_API_KEY: '', BERTH_INSECURE_NO_AUTH: 'yes' } });
    try {
      const r = await fetch(`${server.url}/v1/sandboxes`);
      expect(r.status).toBe(200);
      expect(server.lines.some((l) => l.includes('running WITHOUT authentication'))).toBe(true);
    } finally {
      await server.kill();
      await removeInstanceContainers(server.instanceId);
    }
  });
});
