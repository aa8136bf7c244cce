/** The write-through cache core: domain-free, configured with the cached entities. */
export { withWriteThrough, withCommitListener, type WriteThroughOptions, type WritePolicy, type CommittedChange, type CommitListener } from './write-through.js';
export { TRANSIENT_REASONS, transientReason, type TransientReason } from './transient.js';
export { TOMBSTONE_VERSION, createEntries, type CacheSettings } from './entries.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { createEntityLoader, type Cached, type EntityLoaderOptions } from './loader.js';
export { createRedisStore, decodeEntry, groupBySlot, type RedisStoreOptions } from './redis-store.js';
export { createOutbox, type Outbox, type OutboxOptions } from './outbox.js';
export { createReconciler, type Reconciler, type ReconcilerOptions } from './reconciler.js';
export { withCircuitBreaker, type CircuitBreakerOptions } from './breaker.js';
export { withEpochFence, identityFromInfo, type EpochFenceOptions, type EpochFencedStore, type ConnectionEvents } from './epoch.js';
export { resolveSchema, type EntityMetadata, type ResolvedSchema, type ResolvedCascade } from './schema.js';
export { CacheUnavailableError, TransactionConflictError } from './errors.js';
export { createKeyBuilder, assertCacheableId } from './keys.js';
export { entityShape, shapeFingerprint, shapeFingerprints } from './shape.js';
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
