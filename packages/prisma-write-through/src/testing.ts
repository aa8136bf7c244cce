/**
 * `prisma-write-through/testing`: the same parts with the switches that only
 * tests and benchmarks may use, to prove what breaks without a remedy or to
 * build baselines. Never in production code:
 * - `withWriteThrough`: `remedies` (`leases`, `tombstones`, `trackBulkWrites`
 *   off), `hooks.afterCommit` (a pause or a simulated crash between COMMIT and
 *   the cache write), `publish: "invalidate"` (cache-aside);
 * - `createEntityLoader`: `batching: false` (the N+1 baseline),
 *   `hooks.afterDatabaseRead` (a pause between the database read and the fill);
 * - `createRedisStore` / `createMemoryStore`: `compareAndSet: false` (blind writes).
 *
 * And what tests of a cache built on it share: `storeContract` (the cases
 * every `CacheStore` must pass) and `pausePoint` / `once` (to hold a writer or
 * a reader at one of the hooks above).
 */
export { withWriteThrough, type WriteThroughTestingOptions } from './write-through.js';
export { createEntityLoader, entityLoaderFactory, type EntityLoaderTestingOptions } from './loader.js';
export { createRedisStore, type RedisStoreTestingOptions } from './redis-store.js';
export { createMemoryStore, type MemoryStoreTestingOptions } from './memory-store.js';
export { storeContract, type StoreContractOptions, type StoreContractEntries, type StoreContractCase } from './store-contract.js';
export { pausePoint, once, type PausePoint } from './pause.js';
