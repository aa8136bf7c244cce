/**
 * Cache keys and entries, built in one place for every writer: the
 * write-through after COMMIT, the loaders' read-fills and the reconciler.
 */
import { createKeyBuilder } from './keys.js';
import type { CacheObserver, CacheStats, CacheStore, CacheWrite, CachedEntity, EntityId } from './types.js';

/** Settings shared by the write-through, the loaders and the reconciler: they must agree. */
export interface CacheSettings {
  /** Cached entities by name (the name is part of the cache key). */
  entities: Record<string, CachedEntity<any, any>>;
  store: CacheStore;
  stats: CacheStats;
  /** Prefix of every cache key. @default "wt:" */
  namespace?: string;
  /** Time to live of cache entries, in seconds. @default 3600 */
  ttlSeconds?: number;
  /** Time to live of tombstones, in seconds; longer than any read can take. @default 3600 */
  tombstoneTtlSeconds?: number;
  /** Timings and sizes, for metrics. */
  observer?: CacheObserver;
}

/** Version written into a tombstone: above any version a row can reach, so no fill ever replaces it. */
export const TOMBSTONE_VERSION = Number.MAX_SAFE_INTEGER;

export function createEntries(settings: Pick<CacheSettings, 'namespace' | 'ttlSeconds' | 'tombstoneTtlSeconds'>) {
  const keyOf = createKeyBuilder(settings.namespace ?? 'wt:');
  const ttlSeconds = settings.ttlSeconds ?? 3600;
  const tombstoneTtlSeconds = settings.tombstoneTtlSeconds ?? 3600;
  return {
    keyOf,
    ttlSeconds,
    /** The entry of an entity row (which carries its `version`). */
    value: (entity: string, id: EntityId, row: Record<string, any>): CacheWrite => ({
      key: keyOf(entity, id),
      version: row.version as number,
      json: JSON.stringify(row),
      ttlSeconds,
    }),
    /** The entry of a deleted entity. */
    tombstone: (entity: string, id: EntityId): CacheWrite => ({ key: keyOf(entity, id), version: TOMBSTONE_VERSION, json: null, ttlSeconds: tombstoneTtlSeconds }),
  };
}
