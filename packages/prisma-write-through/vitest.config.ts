import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The package's own tests, apart from the API's (the root config includes
// only test/**, with the storefront's database setup). Run from the
// repository root with
//   npx vitest run --project package   (or --config packages/prisma-write-through/vitest.config.ts)
// or from here with `npm test`. The tests under test/cached-blog/ need
// PostgreSQL (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres:
// a database of their own per file) and Redis (TEST_REDIS_URL, default
// redis://127.0.0.1:6379: a namespace of their own per file).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // Generates the cached-blog schema's Prisma Client (test/cached-blog/generate.ts).
    globalSetup: ['test/global-setup.ts'],
    // The end-to-end test runs `prisma generate` and the TypeScript compiler.
    testTimeout: 60_000,
  },
});
