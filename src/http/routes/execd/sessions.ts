import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';

export function registerSessionRoutes(app: Hono, deps: Deps): void {
  void app;
  void deps;
}
