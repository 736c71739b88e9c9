import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = new URL('../..', import.meta.url).pathname;
/** Screenshots of a run, kept as test artefacts (gitignored). */
export const ARTIFACTS = join(ROOT, 'test/browser/artifacts');

export type TestBrowser = { context: BrowserContext; close: () => Promise<void> };

/**
 * Debian's Chromium (scripts/setup-browser.sh installs it), headless with a fresh profile. Without the
 * background-networking flags Chromium keeps dialing out, and this machine's closed network refuses it.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'berth-chromium-'));
  // A persistent context is how Playwright takes a profile folder (it refuses --user-data-dir in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
