import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';

export function registerCommandRoutes(app: Hono, deps: Deps): void {
  void app;
  void deps;
}
