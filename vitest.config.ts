import { configDefaults, defineConfig } from 'vitest/config';

// The suite in four projects (issue 14). `npx vitest run` (`npm test`) runs them all;
// `npx vitest run --project unit` (or `npm run test:unit`, `test:integration`,
// `test:system`, `test:package`) runs one. A new file under test/ is integration
// unless it is listed below.

/** No HTTP server, no child process, no database: in-process parts and the store contract. */
const UNIT = ['test/cache-store.test.ts', 'test/error-codes.test.ts'];

/**
 * Starts child processes (redis-server, Redis Cluster/Sentinel, pgbouncer, the API's
 * entry point under tsx), a browser, the benchmark, the consistency checker or the fuzzer.
 */
const SYSTEM = [
  'test/bench-smoke.test.ts',
  'test/consistency-check.test.ts',
  'test/cors.test.ts',
  'test/embedded.test.ts',
  'test/graphiql-browser.test.ts',
  'test/pgbouncer.test.ts',
  'test/redis-cluster.test.ts',
  'test/redis-down.test.ts',
  'test/redis-sentinel.test.ts',
  'test/redis-time-travel.test.ts',
  'test/security-auth.test.ts',
  'test/security-fuzz.test.ts',
  'test/security-limits.test.ts',
  'test/security-production.test.ts',
  'test/security-redis.test.ts',
  'test/server.test.ts',
  'test/thundering-herd.test.ts',
  'test/trusted-documents.test.ts',
  'test/web-storefront.test.ts',
];

/**
 * Builds the migrated template database each test file copies its own from. Only the
 * projects that start the API take it; in a full run both share one template (the setup
 * builds it once per process: see test/support/global-setup.ts).
 */
const DATABASE_SETUP = ['test/support/global-setup.ts'];

export default defineConfig({
  test: {
    // Shared by the projects below that extend this config (`extends: true`).
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { NODE_ENV: 'test' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT, ...SYSTEM],
          // Each file gets its own database (copied from a migrated template) and its own Redis namespace.
          globalSetup: DATABASE_SETUP,
        },
      },
      {
        extends: true,
        test: { name: 'system', include: SYSTEM, globalSetup: DATABASE_SETUP },
      },
      {
        // The workspace package's own tests, with its own config (root, 60 s timeout: one
        // runs `prisma generate` and the TypeScript compiler); no database.
        extends: './packages/prisma-write-through/vitest.config.ts',
        root: './packages/prisma-write-through',
        test: { name: 'package' },
      },
    ],
  },
});
