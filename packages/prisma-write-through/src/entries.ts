/**
 * Cache keys and entries, built in one place for every writer: the
 * write-through after COMMIT, the loaders' read-fills and the reconciler.
 */
import { createKeyBuilder } from './keys.js';
import type { EntityMetadata } from './generator/types.js';
import { shapeFingerprints } from './shape.js';
import type { CacheObserver, CacheStats, CacheStore, CacheWrite, CachedEntity, EntityId } from './types.js';

/** Settings shared by the write-through, the loaders and the reconciler: they must agree. */
export interface CacheSettings {
  /** Cached entities by name (the name is part of the cache key). */
  entities: Record<string, CachedEntity<any, any>>;
  /**
   * The entity metadata `prisma generate` emitted with this package's
   * generator (`generator writeThrough { provider = "prisma-write-through-generator" }`):
   * ids, tables, fields, relations and every delete cascade. The write path
   * checks `entities` against it at once (see resolveSchema: it throws on a
   * mismatch), and every entry carries the fingerprint of its entity's shape
   * in it (shape.ts), so code built against another schema never reads it.
   */
  schema: EntityMetadata;
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

/**
 * The keys and entries of `settings.entities`: `keyOf` (see keys.ts), `shapeOf`
 * (the fingerprint of an entity's shape, shape.ts), `value` (the entry of a
 * row, with its version and shape) and `tombstone`. Throws when an entity's
 * model is not in `settings.schema`; `shapeOf` and `value` throw for an entity
 * not in `settings.entities`.
 */
export function createEntries(settings: Pick<CacheSettings, 'entities' | 'schema' | 'namespace' | 'ttlSeconds' | 'tombstoneTtlSeconds'>) {
  const keyOf = createKeyBuilder(settings.namespace ?? 'wt:');
  const ttlSeconds = settings.ttlSeconds ?? 3600;
  const tombstoneTtlSeconds = settings.tombstoneTtlSeconds ?? 3600;
  const shapes = new Map(Object.entries(shapeFingerprints(settings.entities, settings.schema)));
  const shapeOf = (entity: string): string => {
    const shape = shapes.get(entity);
    if (shape === undefined) throw new Error(`cache entries: ${JSON.stringify(entity)} is not a cached entity`);
    return shape;
  };
  return {
    keyOf,
    shapeOf,
    ttlSeconds,
    /** The entry of an entity row (which carries its `version`), in the entity's shape. */
    value: (entity: string, id: EntityId, row: Record<string, any>): CacheWrite => ({
      key: keyOf(entity, id),
      version: row.version as number,
      json: JSON.stringify(row),
      ttlSeconds,
      shape: shapeOf(entity),
    }),
    /** The entry of a deleted entity. */
    tombstone: (entity: string, id: EntityId): CacheWrite => ({ key: keyOf(entity, id), version: TOMBSTONE_VERSION, json: null, ttlSeconds: tombstoneTtlSeconds }),
  };
}
