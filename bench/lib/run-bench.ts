import type Docker from 'dockerode';
import { removeByLabel } from './raw-docker.js';

/**
 * Run a bench's main, then its cleanups (newest first) and the raw-floor containers labelled with
 * `rawInstance`, whether main succeeded or not; a failure is printed and exits 1 after the cleanup.
 */
export function runBench(
  main: () => Promise<void>,
  o: { cleanups: (() => Promise<unknown>)[]; docker: Docker; rawInstance: string; log: (s: string) => void },
): void {
  const cleanup = async () => {
    for (const f of o.cleanups.reverse()) await f().catch((e) => o.log(`cleanup: ${String(e)}`));
    await removeByLabel(o.docker, `berth.instance=${o.rawInstance}`);
  };
  main()
    .then(cleanup)
    .catch(async (err) => {
      o.log(String(err?.stack ?? err));
      await cleanup();
      process.exit(1);
    });
}
