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

/** JSON has no 64-bit integers: a `BigInt` is cached as its decimal string. */
const bigintAsString = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** A row as JSON; JSON.stringify throws a TypeError on a BigInt (any field, members and relations included): then again, with them as strings. */
function toJson(row: object): string {
  try {
    return JSON.stringify(row);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(row, bigintAsString);
  }
}

/** The version field of an entity's model (the generator's `versionField`, whatever its name); throws when there is none. */
function versionFieldOf(name: string, entity: CachedEntity<any, any>, schema: EntityMetadata): string {
  const model = schema.models[entity.model];
  if (!model?.versionField) throw new Error(`${name}: model ${entity.model} ${model ? 'has no version field' : 'is not in the schema'} (see resolveSchema)`);
  return model.versionField.name;
}

/** A row's version as the cache compares it: an integer from 0 to 2^53 - 1 (an `Int` or a `BigInt` field). */
function versionOf(value: unknown): number | null {
  const version = typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 0 ? version : null;
}

/**
 * The keys and entries of `settings.entities`: `keyOf` (see keys.ts), `shapeOf`
 * (the fingerprint of an entity's shape, shape.ts), `value` (the entry of a
 * row, with its version and shape) and `tombstone`. Throws when an entity's
 * model is not in `settings.schema` or has no version field; `shapeOf` and
 * `value` throw for an entity not in `settings.entities`, and `value` for a
 * row without an integer version (see `value`).
 */
export function createEntries(settings: Pick<CacheSettings, 'entities' | 'schema' | 'namespace' | 'ttlSeconds' | 'tombstoneTtlSeconds'>) {
  const keyOf = createKeyBuilder(settings.namespace ?? 'wt:');
  const ttlSeconds = settings.ttlSeconds ?? 3600;
  const tombstoneTtlSeconds = settings.tombstoneTtlSeconds ?? 3600;
  const shapes = new Map(Object.entries(shapeFingerprints(settings.entities, settings.schema)));
  const versionFields = new Map(Object.entries(settings.entities).map(([name, entity]) => [name, versionFieldOf(name, entity, settings.schema)]));
  const shapeOf = (entity: string): string => {
    const shape = shapes.get(entity);
    if (shape === undefined) throw new Error(`cache entries: ${JSON.stringify(entity)} is not a cached entity`);
    return shape;
  };
  return {
    keyOf,
    shapeOf,
    ttlSeconds,
    /**
     * The entry of an entity row, in the entity's shape, versioned by the row's
     * version field (an `Int`, or a `BigInt` up to 2^53 - 1). `BigInt` fields
     * are cached as decimal strings. Throws a `TypeError` when the row has no
     * such version (the entity's `load` must return the field).
     */
    value: (entity: string, id: EntityId, row: Record<string, any>): CacheWrite => {
      const shape = shapeOf(entity);
      const versionField = versionFields.get(entity)!;
      const version = versionOf(row[versionField]);
      if (version === null) {
        throw new TypeError(
          `${entity} ${JSON.stringify(id)}: its row has no integer version in ${versionField} (got ${typeof row[versionField]}); its load must return that field`,
        );
      }
      return { key: keyOf(entity, id), version, json: toJson(row), ttlSeconds, shape };
    },
    /** The entry of a deleted entity. */
    tombstone: (entity: string, id: EntityId): CacheWrite => ({
      key: keyOf(entity, id),
      version: TOMBSTONE_VERSION,
      json: null,
      ttlSeconds: tombstoneTtlSeconds,
    }),
  };
}
