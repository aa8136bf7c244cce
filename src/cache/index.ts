/** The write-through cache core: domain-free, configured with the cached entities. */
export { withWriteThrough, type WriteThroughOptions, type WritePolicy } from './write-through.js';
export { TOMBSTONE_VERSION, createEntries, type CacheSettings } from './entries.js';
export { createEntityLoader, primeWritten, type Cached, type EntityLoaderOptions } from './loader.js';
export { createRedisStore, decodeEntry, type RedisStoreOptions } from './redis-store.js';
export { createOutbox, type Outbox, type OutboxOptions } from './outbox.js';
export { createReconciler, type Reconciler, type ReconcilerOptions } from './reconciler.js';
export { withCircuitBreaker, type CircuitBreakerOptions } from './breaker.js';
export { CacheUnavailableError } from './errors.js';
export { createKeyBuilder, assertCacheableId } from './keys.js';
export {
  createCacheStats,
  type CacheStats,
  type CacheStore,
  type CacheWrite,
  type CacheRelease,
  type CacheHit,
  type CachedEntity,
  type EntityId,
  type WriteOutcome,
  type CacheObserver,
} from './types.js';
