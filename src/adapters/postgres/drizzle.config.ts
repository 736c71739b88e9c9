import { defineConfig } from 'drizzle-kit';

// Run from the package root (npm run db:generate) so migrations land in the top-level migrations/ folder.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});
