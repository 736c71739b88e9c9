import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { CLIENT_JS } from './assets/client-js.js';
import { STYLES_CSS } from './assets/styles-css.js';
import { DASHBOARD_BASE } from './paths.js';

type Asset = { path: string; body: string; type: string };

const hashed = (name: string, ext: string, body: string, type: string): Asset => {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `${DASHBOARD_BASE}/assets/${name}-${hash}.${ext}`, body, type };
};

/** Content-hashed names, so a page always loads the asset it was rendered with and the asset may be cached for a year. */
export const ASSETS = {
  js: hashed('app', 'js', CLIENT_JS, 'text/javascript; charset=utf-8'),
  css: hashed('app', 'css', STYLES_CSS, 'text/css; charset=utf-8'),
};

export function registerDashboardAssets(app: Hono): void {
  for (const asset of Object.values(ASSETS)) {
    app.get(asset.path, (c) => {
      c.header('Content-Type', asset.type);
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(asset.body);
    });
  }
}
