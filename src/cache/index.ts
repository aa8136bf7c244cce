/** The write-through cache core: domain-free, configured with the cached entities. */
export { withWriteThrough, TOMBSTONE_VERSION, type WriteThroughOptions } from './write-through.js';
export { createEntityLoader, type Cached, type EntityLoaderOptions } from './loader.js';
export { createRedisStore, decodeEntry, type RedisStoreOptions } from './redis-store.js';
export { createKeyBuilder, assertCacheableId } from './keys.js';
export { createCacheStats, type CacheStats, type CacheStore, type CacheWrite, type CacheHit, type CachedEntity, type EntityId } from './types.js';
