/** The write-through cache core: domain-free, configured with the cached entities. */
export {
  createWriteThroughCache,
  toError,
  type WriteThroughCache,
  type WriteThroughCacheOptions,
  type EntityLoaders,
  type RowOf,
  type Logger,
} from './cache.js';
export { withCommitListener, type WritePolicy, type CommittedChange, type CommitListener } from './write-through.js';
export { TRANSIENT_REASONS, transientReason, type TransientReason } from './transient.js';
export { TOMBSTONE_VERSION, createEntries, type CacheSettings } from './entries.js';
export { type Cached } from './loader.js';
export { decodeEntry, groupBySlot } from './redis-store.js';
export { createOutbox, type Outbox, type OutboxOptions } from './outbox.js';
export { createReconciler, type Reconciler, type ReconcilerOptions } from './reconciler.js';
export { CAPTURE_CHANNEL, CAPTURE_FUNCTION, OWN_WRITES_SETTING, captureTriggers, changeCaptureSql } from './capture.js';
export { createChangeListener, type ChangeListener, type ChangeListenerOptions, type NotificationConnection } from './listener.js';
export { touch } from './tracking.js';
export { withCircuitBreaker, type CircuitBreakerOptions } from './breaker.js';
export { failFastRedisOptions, slowRedisOptions, redisIdentity, type RedisIdentity } from './redis-client.js';
export { createFillCoordination, type FillCoordination, type FillCoordinationOptions, type Flight } from './fills.js';
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
  type FillClaim,
  type CacheObserver,
} from './types.js';

// Test and benchmark switches (remedies off, pause hooks, blind writes, cache-aside publishing,
// batching off) are not public options: they live in the `prisma-write-through/testing` entry.
// The functions below take the public options only, and drop the switches if given anyway.
import { withWriteThrough as withSwitches, type WriteThroughTestingOptions } from './write-through.js';
import { createEntityLoader as loaderWithSwitches, type EntityLoaderTestingOptions } from './loader.js';
import { createRedisStore as redisStoreWithSwitches, type RedisStoreTestingOptions } from './redis-store.js';
import { createMemoryStore as memoryStoreWithSwitches, type MemoryStoreTestingOptions } from './memory-store.js';
import type { CacheStore as Store, EntityId as Id } from './types.js';
import type { Cached as CachedRow } from './loader.js';
import type DataLoader from 'dataloader';

/** Options of `withWriteThrough` (see write-through.ts for each). */
export type WriteThroughOptions = Omit<WriteThroughTestingOptions, 'publish' | 'remedies' | 'hooks'>;
/** Options of `createEntityLoader` (see loader.ts for each). */
export type EntityLoaderOptions<Db, Row extends object> = Omit<EntityLoaderTestingOptions<Db, Row>, 'batching' | 'hooks'>;
/** Options of `createRedisStore`. */
export type RedisStoreOptions = Omit<RedisStoreTestingOptions, 'compareAndSet'>;
/** Options of `createMemoryStore`. */
export type MemoryStoreOptions = Omit<MemoryStoreTestingOptions, 'compareAndSet'>;

/**
 * Wraps a Prisma Client so that every write on a cached model goes through the
 * cache after it commits (write-through.ts has the protocol). Returns a client
 * of the same type. Throws a `TypeError` on an invalid option and an `Error`
 * when `entities` do not match `schema` (see resolveSchema).
 */
export function withWriteThrough<Client extends { $extends: (...a: any[]) => any }>(base: Client, options: WriteThroughOptions): Client {
  const { publish: _publish, remedies: _remedies, hooks: _hooks, ...publicOptions } = options as WriteThroughTestingOptions;
  return withSwitches(base, publicOptions);
}

/**
 * A per-request DataLoader of one cached entity: one store read (one round trip
 * per node) per batch, one `load` for the misses, filling the cache with
 * compare-and-set. Values are the rows `load` returns (as JSON would give them back), or null.
 */
export function createEntityLoader<Db, Row extends object>(options: EntityLoaderOptions<Db, Row>): DataLoader<Id, CachedRow<Row> | null> {
  const { batching: _batching, hooks: _hooks, ...publicOptions } = options as EntityLoaderTestingOptions<Db, Row>;
  return loaderWithSwitches(publicOptions);
}

/** The Redis store (one node, Sentinel or Cluster; see redis-store.ts), always compare-and-set. */
export function createRedisStore(options: RedisStoreOptions): Store {
  const { compareAndSet: _cas, ...publicOptions } = options as RedisStoreTestingOptions;
  return redisStoreWithSwitches(publicOptions);
}

/** The in-process store with the Redis store's semantics (one process only), always compare-and-set. */
export function createMemoryStore(options: MemoryStoreOptions): Store {
  const { compareAndSet: _cas, ...publicOptions } = options as MemoryStoreTestingOptions;
  return memoryStoreWithSwitches(publicOptions);
}
