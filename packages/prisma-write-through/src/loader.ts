import DataLoader from 'dataloader';
import { createEntries } from './entries.js';
import type { EntityMetadata } from './generator/types.js';
import type { CacheHit, CacheObserver, CacheStats, CacheStore, CachedEntity, EntityId } from './types.js';

/** What an entity looks like once it went through JSON: dates are ISO strings, and so are BigInts (as decimals). */
export type Cached<T> = T extends Date | bigint
  ? string
  : T extends (infer U)[]
    ? Cached<U>[]
    : T extends object
      ? { [K in keyof T]: Cached<T[K]> }
      : T;

/** Options of `createEntityLoader`. */
export interface EntityLoaderTestingOptions<Db, Row extends object> {
  /** Entity name, as in the write-through configuration (part of the key). */
  name: string;
  entity: CachedEntity<Db, Row>;
  /**
   * The entity metadata from `prisma generate`, as given to the write-through:
   * the loader serves only values in this code's shape of the entity (shape.ts)
   * and fills in it.
   */
  schema: EntityMetadata;
  /** Database client used for misses. */
  db: Db;
  /** Cache store, or `null` to read the database only (no-cache mode). */
  store: CacheStore | null;
  stats: CacheStats;
  /** Prefix of every cache key; must match the write-through's. @default "wt:" */
  namespace?: string;
  /** Time to live of entries filled on a miss, in seconds. @default 3600 */
  ttlSeconds?: number;
  /** Called when the store fails; the read falls back to the database. */
  onStoreError?: (error: unknown) => void;
  /** Largest batch. @default 1000 */
  maxBatchSize?: number;
  /**
   * Batch and memoize loads. Off gives the N+1 baseline of the benchmark:
   * every load is its own round trip and query. @default true
   */
  batching?: boolean;
  /** Timings and sizes, for metrics. */
  observer?: CacheObserver;
  /** Test-only pause point: after the misses were read from the database, before they are filled. */
  hooks?: { afterDatabaseRead?: (ids: EntityId[]) => Promise<void> | void };
}

/**
 * A per-request DataLoader for one cached entity. A batch is one store round
 * trip (MGET); the misses are one database query; the misses are filled back
 * with compare-and-set, so a fill can never overwrite a newer version written
 * by a mutation in the meantime. Results come one per key, in key order,
 * `null` for an entity that does not exist.
 *
 * When the store fails, the batch reads everything from the database: slower,
 * never wrong.
 */
export function createEntityLoader<Db, Row extends object>(
  options: EntityLoaderTestingOptions<Db, Row>,
): DataLoader<EntityId, Cached<Row> | null> {
  const { name, entity, db, store, stats } = options;
  const entries = createEntries({ ...options, entities: { [name]: entity } });
  const shape = entries.shapeOf(name);
  const idField = entity.idField ?? 'id';
  const onStoreError = options.onStoreError ?? (() => {});

  async function readStore(keys: string[]): Promise<(CacheHit | undefined)[]> {
    if (!store) return keys.map(() => undefined);
    try {
      return await store.read(keys);
    } catch (error) {
      stats.readFailures++;
      onStoreError(error);
      return keys.map(() => undefined);
    }
  }

  async function batch(ids: readonly EntityId[]): Promise<(Cached<Row> | null)[]> {
    const keys = ids.map((id) => entries.keyOf(name, id));
    const hits = await readStore(keys);
    // A value in another shape (cached by another version of the code or schema, in a rolling deploy) is a miss.
    for (const [i, hit] of hits.entries()) {
      if (hit?.kind === 'value' && hit.shape !== shape) {
        hits[i] = undefined;
        stats.shapeMisses++;
      }
    }
    const results: (Cached<Row> | null)[] = hits.map((hit) => (hit?.kind === 'value' ? (JSON.parse(hit.json) as Cached<Row>) : null));

    const missing = ids.filter((_, i) => hits[i] === undefined);
    const byEntity = (stats.entities[name] ??= { hits: 0, misses: 0 });
    stats.hits += ids.length - missing.length;
    byEntity.hits += ids.length - missing.length;
    stats.misses += missing.length;
    byEntity.misses += missing.length;
    options.observer?.loaderBatch?.(name, ids.length, ids.length - missing.length);
    if (missing.length === 0) return results;

    const rows = (await entity.load(db, missing)) as Record<string, any>[];
    await options.hooks?.afterDatabaseRead?.(missing);
    const fills = rows.map((row) => entries.value(name, row[idField], row));
    const byId = new Map(fills.map((fill, i) => [rows[i]![idField] as EntityId, fill.json!]));
    ids.forEach((id, i) => {
      const json = hits[i] === undefined ? byId.get(id) : undefined;
      // Through JSON, so a miss has exactly the shape of a hit (dates as strings).
      if (json !== undefined) results[i] = JSON.parse(json) as Cached<Row>;
    });

    if (store && fills.length > 0) {
      try {
        await store.write(fills);
      } catch (error) {
        stats.writeFailures++;
        onStoreError(error);
      }
    }
    return results;
  }

  if (options.batching === false) return new DataLoader(batch, { batch: false, cache: false });
  return new DataLoader(batch, { maxBatchSize: options.maxBatchSize ?? 1000 });
}
