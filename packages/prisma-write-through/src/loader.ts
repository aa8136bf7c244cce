import DataLoader from 'dataloader';
import { createEntries } from './entries.js';
import type { EntityMetadata } from './generator/types.js';
import type { FillCoordination } from './fills.js';
import type { CacheHit, CacheObserver, CacheStats, CacheStore, CacheWrite, CachedEntity, EntityId, FillClaim } from './types.js';

/** What an entity looks like once it went through JSON: dates are ISO strings, and so are BigInts (as decimals). */
export type Cached<T> = T extends Date | bigint ? string : T extends (infer U)[] ? Cached<U>[] : T extends object ? { [K in keyof T]: Cached<T[K]> } : T;

/** Copies the rows of `keys` (null: none) from a flight's answer into `out`. */
function copyRows(out: Map<string, string | null>, from: ReadonlyMap<string, string | null>, keys: readonly string[]): void {
  for (const key of keys) out.set(key, from.get(key) ?? null);
}

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
  /**
   * What the loaders of this process share so that concurrent misses of a key
   * cost one database read (single-flight and fill leases: fills.ts); one per
   * cache, given to every loader. Absent: every batch reads its own misses.
   */
  fills?: FillCoordination;
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
export function createEntityLoader<Db, Row extends object>(options: EntityLoaderTestingOptions<Db, Row>): DataLoader<EntityId, Cached<Row> | null> {
  return entityLoaderFactory(options)(options.db);
}

/**
 * What `createEntityLoader` computes once per entity (its keys, its shape's
 * fingerprint: a hash of the schema), apart from what it makes per request:
 * call the factory once, then the function it returns once per request
 * (cheap: a DataLoader and its closures). `options.db` is ignored; the
 * function takes the client that reads the misses.
 */
export function entityLoaderFactory<Db, Row extends object>(
  options: Omit<EntityLoaderTestingOptions<Db, Row>, 'db'> & { db?: Db },
): (db: Db) => DataLoader<EntityId, Cached<Row> | null> {
  const { name, entity, store, stats, fills } = options;
  const entries = createEntries({ ...options, entities: { [name]: entity } });
  const shape = entries.shapeOf(name);
  const idField = entity.idField ?? 'id';
  const onStoreError = options.onStoreError ?? (() => {});
  return (db) => perRequest(db);

  function perRequest(db: Db): DataLoader<EntityId, Cached<Row> | null> {
    /** The store's answers, or null when it failed (the batch then reads the database, uncoordinated). */
    async function readStore(keys: readonly string[]): Promise<(CacheHit | undefined)[] | null> {
      if (!store) return null;
      try {
        return await store.read(keys);
      } catch (error) {
        stats.readFailures++;
        onStoreError(error);
        return null;
      }
    }

    /** A hit this code can serve: a value in its shape (JSON), or a tombstone (null); undefined for a miss. */
    function usable(hit: CacheHit | undefined): string | null | undefined {
      if (hit?.kind === 'tombstone') return null;
      // A value in another shape (cached by another version of the code or schema, in a rolling deploy) is a miss.
      if (hit?.kind === 'value' && hit.shape !== shape) {
        stats.shapeMisses++;
        return undefined;
      }
      return hit?.json;
    }

    /**
     * Reads `keys` (of `ids`) from the database as one flight, fills the store
     * with what it found, and resolves to the rows as JSON by key (null: none).
     */
    async function fly(ids: readonly EntityId[], keys: readonly string[]): Promise<ReadonlyMap<string, string | null>> {
      let landed: () => void = () => {};
      const flight = {
        startedAt: fills?.tick() ?? 0,
        landed: new Promise<void>((resolve) => (landed = resolve)),
        rows: (async () => {
          const rows = (await entity.load(db, [...ids])) as Record<string, any>[];
          await options.hooks?.afterDatabaseRead?.([...ids]);
          return rows.map((row) => entries.value(name, row[idField], row));
        })().then((writes) => {
          const byKey = new Map<string, string | null>(keys.map((key) => [key, null]));
          for (const write of writes) byKey.set(write.key, write.json);
          void fill(writes).finally(landed);
          return byKey as ReadonlyMap<string, string | null>;
        }),
      };
      void flight.rows.catch(landed);
      fills?.fly(keys, flight);
      return flight.rows;
    }

    async function fill(writes: CacheWrite[]): Promise<void> {
      if (!store || writes.length === 0) return;
      try {
        await store.write(writes);
      } catch (error) {
        stats.writeFailures++;
        onStoreError(error);
      }
    }

    /** Pauses `ms`, or less when a flight of this process on one of `keys` lands first. */
    function pause(ms: number, keys: readonly string[]): Promise<unknown> {
      const local = keys.map((key) => fills?.flight(key)?.landed).filter((landed) => landed !== undefined);
      const timer = new Promise((resolve) => setTimeout(resolve, ms));
      return local.length > 0 ? Promise.race([timer, Promise.all(local)]) : timer;
    }

    /**
     * The misses of a batch whose store read began at `began` (fills.ts):
     * joined to a flight of this process that started later, filled by this
     * batch where it won the fill lease, waited for where another caller holds
     * it. Resolves to the rows as JSON by key (null: none).
     */
    async function resolveMisses(
      ids: readonly EntityId[],
      keys: readonly string[],
      began: number,
      storeAnswered: boolean,
    ): Promise<Map<string, string | null>> {
      const out = new Map<string, string | null>();
      if (!fills) {
        copyRows(out, await fly(ids, keys), keys);
        return out;
      }
      const work: Promise<void>[] = [];
      const rest = joinFlights(keys, began, work, out);
      let claims: FillClaim[] = rest.map(() => ({ won: true }));
      // Without the store's answer (it failed), no claim either: this batch reads the database itself.
      if (rest.length > 0 && storeAnswered && store?.claimFills) {
        // A claim that fails (Redis down): this batch reads the database itself.
        claims = await store
          .claimFills(
            rest.map((i) => keys[i]!),
            fills.leaseMs,
          )
          .catch(() => claims);
      }
      const won: number[] = [];
      const lost: number[] = [];
      rest.forEach((i, n) => {
        const claim = claims[n]!;
        // The entry, landed since the miss (a fill, a write): served like any hit.
        const json = 'hit' in claim ? usable(claim.hit) : undefined;
        if (json !== undefined) out.set(keys[i]!, json);
        else if ('won' in claim && !claim.won) lost.push(i);
        else won.push(i);
      });
      if (won.length > 0)
        work.push(
          fly(
            won.map((i) => ids[i]!),
            won.map((i) => keys[i]!),
          ).then((rows) =>
            copyRows(
              out,
              rows,
              won.map((i) => keys[i]!),
            ),
          ),
        );
      if (lost.length > 0)
        work.push(
          waitForFills(
            lost.map((i) => ids[i]!),
            lost.map((i) => keys[i]!),
            began,
            out,
          ),
        );
      await Promise.all(work);
      return out;
    }

    /** Joins each of `keys` to a flight of this process that started after `began` (pushed to `work`); returns the positions of the others. */
    function joinFlights(keys: readonly string[], began: number, work: Promise<void>[], out: Map<string, string | null>): number[] {
      const rest: number[] = [];
      keys.forEach((key, i) => {
        const flight = fills?.flight(key);
        if (flight && flight.startedAt > began) {
          stats.fillJoins++;
          work.push(flight.rows.then((rows) => copyRows(out, rows, [key])));
        } else rest.push(i);
      });
      return rest;
    }

    /** Another caller fills `keys`: reads the store again after each pause, then the database for what is still missing. */
    async function waitForFills(ids: readonly EntityId[], keys: readonly string[], began: number, out: Map<string, string | null>): Promise<void> {
      stats.fillWaits += keys.length;
      let pending = keys.map((key, i) => ({ key, id: ids[i]! }));
      for (const ms of fills!.waits) {
        await pause(
          ms,
          pending.map((p) => p.key),
        );
        const hits = await readStore(pending.map((p) => p.key));
        if (!hits) {
          // The store failed: a flight of this process that started after this batch's began will do, else the database.
          const work: Promise<void>[] = [];
          pending = joinFlights(
            pending.map((p) => p.key),
            began,
            work,
            out,
          ).map((i) => pending[i]!);
          await Promise.all(work);
          break;
        }
        pending = pending.filter((p, i) => {
          const json = usable(hits[i]);
          if (json !== undefined) out.set(p.key, json);
          return json === undefined;
        });
        if (pending.length === 0) return;
      }
      stats.fillWaitTimeouts += pending.length;
      const rows = await fly(
        pending.map((p) => p.id),
        pending.map((p) => p.key),
      );
      copyRows(
        out,
        rows,
        pending.map((p) => p.key),
      );
    }

    async function batch(ids: readonly EntityId[]): Promise<(Cached<Row> | null)[]> {
      const began = fills?.tick() ?? 0;
      const keys = ids.map((id) => entries.keyOf(name, id));
      const hits = await readStore(keys);
      const found = keys.map((_, i) => (hits ? usable(hits[i]) : undefined));
      const missing = ids.flatMap((_, i) => (found[i] === undefined ? [i] : []));
      const byEntity = (stats.entities[name] ??= { hits: 0, misses: 0 });
      stats.hits += ids.length - missing.length;
      byEntity.hits += ids.length - missing.length;
      stats.misses += missing.length;
      byEntity.misses += missing.length;
      options.observer?.loaderBatch?.(name, ids.length, ids.length - missing.length);
      if (missing.length > 0) {
        const missKeys = missing.map((i) => keys[i]!);
        const missIds = missing.map((i) => ids[i]!);
        const rows = await resolveMisses(missIds, missKeys, began, hits !== null);
        missing.forEach((i) => (found[i] = rows.get(keys[i]!) ?? null));
      }
      // Through JSON, so a miss has exactly the shape of a hit (dates as strings).
      return found.map((json) => (json == null ? null : (JSON.parse(json) as Cached<Row>)));
    }

    if (options.batching === false) return new DataLoader(batch, { batch: false, cache: false });
    return new DataLoader(batch, { maxBatchSize: options.maxBatchSize ?? 1000 });
  }
}
