// Lint for berth: typescript-eslint's recommended rules plus the layer boundaries the design names.
// Run from the package root: `npm run lint` (npm test runs it first).
import tseslint from 'typescript-eslint';

const DRIVERS = ['dockerode', 'postgres', '@electric-sql/pglite', 'prom-client', 'pino'];
const restrict = (message, patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.berth-data/**', '.scratch/**', 'test/fixtures/shim/**', 'test/fixtures/unmount-shim/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: false, ignoreTemplateLiterals: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // a closure may read a binding assigned after it is made (a receiver started before its verifier)
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // The domain decides; it reaches the outside world only through its ports (domain/ports.ts and the *-port.ts files).
  {
    files: ['src/domain/**/*.{ts,tsx}'],
    rules: restrict('src/domain talks to the outside only through ports: import from src/db, never from adapters, http or a driver.', [
      '**/adapters/**',
      '**/http/**',
      '**/app.js',
      '**/main.js',
      '**/compose.js',
      'hono',
      'hono/*',
      '@hono/*',
      ...DRIVERS,
    ]),
  },
  // HTTP parses, calls one domain verb and maps: no database, no Docker, no adapter.
  {
    files: ['src/http/**/*.{ts,tsx}'],
    rules: restrict('src/http calls domain verbs; it imports no adapter, database or driver (put the type in src/domain).', [
      '**/adapters/**',
      '**/db/**',
      '**/main.js',
      '**/compose.js',
      'drizzle-orm',
      'drizzle-orm/*',
      ...DRIVERS,
    ]),
  },
  // The database layer is the vocabulary below the domain: it knows tables, not features.
  {
    files: ['src/db/**/*.ts'],
    rules: restrict('src/db is the bottom layer: it imports no domain, http or adapter code.', ['**/domain/**', '**/http/**', '**/adapters/**']),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: restrict('adapters implement ports; they never import the HTTP layer or the composition root.', [
      '**/http/**',
      '**/app.js',
      '**/main.js',
      '**/compose.js',
    ]),
  },
);
