export * from './sandboxes.js';
export * from './mounts.js';
export * from './events.js';
export * from './webhooks.js';
export * from './snapshots.js';
export * from './execd.js';
export * from './pools.js';
export * from './dashboard.js';
