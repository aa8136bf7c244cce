import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The package's own tests, apart from the API's (the root config includes
// only test/**, with database setup this package does not need). Run from the
// repository root with
//   npx vitest run --config packages/prisma-write-through/vitest.config.ts
// or from here with `npm test`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end test runs `prisma generate` and the TypeScript compiler.
    testTimeout: 60_000,
  },
});
