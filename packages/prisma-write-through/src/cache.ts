/**
 * The one entry point: the settings given once, and every part built from
 * them so that they agree (keys, TTLs, the store, the outbox): the Prisma
 * Client extension, typed per-request loaders, the reconciler and the stats.
 */
import type DataLoader from 'dataloader';
import { createFillCoordination, type FillCoordinationOptions } from './fills.js';
import { createChangeListener, type ChangeListener, type ChangeListenerOptions } from './listener.js';
import { createEntityLoader, type Cached } from './loader.js';
import { createOutbox, type Outbox, type SqlClient } from './outbox.js';
import { createReconciler, type Reconciler, type ReconcilerOptions } from './reconciler.js';
import type { EntityMetadata } from './schema.js';
import { createCacheStats, type CacheObserver, type CacheStats, type CacheStore, type CachedEntity, type EntityId } from './types.js';
import { withWriteThrough, type WritePolicy } from './write-through.js';

/**
 * Where the package logs: pino's and most loggers' `(fields, message)` shape.
 * Only failures the cache survives are logged (Redis down, a publish or
 * lease failed, a reconciler pass failed); nothing on the hot path.
 */
export interface Logger {
  warn(fields: Record<string, unknown>, message: string): void;
  debug?(fields: Record<string, unknown>, message: string): void;
}

/**
 * Any thrown value as an `Error`: an `Error` as is, anything else (a Redis
 * reply string, an object) wrapped with its text as the message and the value
 * as `cause`, so logs show `MOVED 3999 ...`, not `{"0":"M","1":"O",...}`.
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const text =
    typeof value === 'string'
      ? value
      : (() => {
          try {
            return JSON.stringify(value);
          } catch {
            return String(value);
          }
        })();
  return new Error(text ?? String(value), { cause: value });
}

/** The row type an entity's `load` returns. */
export type RowOf<E> = E extends CachedEntity<any, infer Row> ? Row : never;

/** One DataLoader per cached entity, typed by what its `load` returns. */
export type EntityLoaders<E extends Record<string, CachedEntity<any, any>>> = {
  [K in keyof E]: DataLoader<EntityId, Cached<RowOf<E[K]>> | null>;
};

export interface WriteThroughCacheOptions<E extends Record<string, CachedEntity<any, any>>> {
  /** The cached entities, by name (the name is part of every key). */
  entities: E;
  /** The entity metadata `prisma generate` emitted with `prisma-write-through-generator`. */
  schema: EntityMetadata;
  /**
   * The store, built with the cache's stats: e.g.
   * `(stats) => withCircuitBreaker(createRedisStore({ redis, stats }))`, or
   * `(stats) => createMemoryStore({ stats })` for a single process.
   */
  store: (stats: CacheStats) => CacheStore;
  /** The Prisma Client without the extension: the outbox and the reconciler use it. */
  db: SqlClient & { $transaction<T>(fn: (tx: any) => Promise<T>): Promise<T> };
  /** The transactional outbox; by default `createOutbox(db)` (table "CacheOutbox"). */
  outbox?: Outbox;
  /** Prefix of every key. @default "wt:" */
  namespace?: string;
  /** Time to live of entries, in seconds. @default 3600 */
  ttlSeconds?: number;
  /** `fail` (refuse a write while Redis is down) or `repair` (commit; the outbox repairs). @default "fail" */
  writePolicy?: WritePolicy;
  /** How long a lease lives if its writer never comes back, in ms. @default 5000 */
  leaseMs?: number;
  /** Where failures the cache survives are logged. @default silent */
  logger?: Logger;
  /** Timings and sizes, for metrics. */
  observer?: CacheObserver;
  /**
   * No thundering herd (fills.ts): concurrent misses of a key cost one
   * database read, per process (single-flight) and across processes (fill
   * leases, with a store that has `claimFills`: Redis and the in-process
   * store). `false` turns it off: every batch reads its own misses.
   * @default {} (fill leases of 500 ms; losers read the store again after 2, 4, 8, 16, 32 and 64 ms)
   */
  fills?: FillCoordinationOptions | false;
  /** Counters to share with the rest of the application (e.g. its metrics, its store); new ones when absent. */
  stats?: CacheStats;
  /** The reconciler's timing: `intervalMs` (poll, default 1000), `replayAfterMs` (default 2000), `batchSize` (default 500). */
  reconciler?: Pick<ReconcilerOptions, 'intervalMs' | 'replayAfterMs' | 'batchSize'>;
  /**
   * Change capture: a dedicated PostgreSQL connection LISTENs for the capture
   * trigger's notifications (`sql/change-capture.sql`) and wakes the reconciler,
   * so a write that bypassed the extension (psql, another service) reaches the
   * cache within milliseconds of its COMMIT, not at the next poll. `connect`
   * must reach PostgreSQL itself, never PgBouncer in transaction mode (see
   * listener.ts). Absent: captured changes wait for the reconciler's poll.
   */
  changeListener?: Omit<ChangeListenerOptions, 'onChange'>;
}

/** What `createWriteThroughCache` returns. */
export interface WriteThroughCache<E extends Record<string, CachedEntity<any, any>>> {
  /** Counters shared by every part (hits, misses, round trips, failures...). */
  stats: CacheStats;
  store: CacheStore;
  outbox: Outbox;
  /** Replays outbox rows whose publish did not happen, and captured changes; started by `start()`. */
  reconciler: Reconciler;
  /** The change listener (option `changeListener`), or null without one; started by `start()`. */
  listener: ChangeListener | null;
  /**
   * Starts the reconciler's poll and the change listener, once per process.
   * Resolves to whether notifications are heard: `true` once LISTENing, `false`
   * without a listener or when its first connection failed (it keeps trying;
   * the poll publishes captured changes meanwhile). Never rejects.
   */
  start(): Promise<boolean>;
  /** Stops the listener and the reconciler (waiting for a pass in progress), flushes the outbox cleanup and closes the store. */
  close(): Promise<void>;
  /** The Prisma Client extension: `cache.extend(prisma)` returns a client of the same type whose writes go through the cache. */
  extend<Client extends { $extends: (...a: any[]) => any }>(client: Client): Client;
  /** A new set of loaders, one per entity: make one per request. `db` reads the misses (the extended client or not). */
  loaders(db: unknown): EntityLoaders<E>;
}

/**
 * Builds the cache from its settings (see WriteThroughCacheOptions). Throws
 * an `Error` when `entities` do not match `schema` (resolveSchema), and a
 * `TypeError` on an invalid option.
 */
export function createWriteThroughCache<E extends Record<string, CachedEntity<any, any>>>(options: WriteThroughCacheOptions<E>): WriteThroughCache<E> {
  const { entities, schema, db, namespace, ttlSeconds, observer, logger } = options;
  const stats = options.stats ?? createCacheStats();
  const store = options.store(stats);
  const warn =
    (message: string) =>
    (error: unknown, fields: Record<string, unknown> = {}) =>
      logger?.warn({ ...fields, err: toError(error).message }, message);
  const outbox = options.outbox ?? createOutbox(db, {}, warn('outbox cleanup failed; the reconciler will replay'));
  const settings = { entities, schema, store, stats, namespace, ttlSeconds, observer };
  const reconciler = createReconciler({
    ...settings,
    ...options.reconciler,
    db,
    outbox,
    onError: (error) => logger?.debug?.({ err: toError(error).message }, 'reconciler pass failed; retrying'),
  });
  const fills = options.fills === false ? undefined : createFillCoordination(options.fills);
  const listener = options.changeListener ? createChangeListener({ ...options.changeListener, onChange: () => reconciler.wake() }) : null;
  let started: Promise<boolean> | null = null;
  return {
    stats,
    store,
    outbox,
    reconciler,
    listener,
    start() {
      started ??= (reconciler.start(), listener ? listener.start() : Promise.resolve(false));
      return started;
    },
    async close() {
      await listener?.close();
      await reconciler.stop();
      await outbox.close();
      await store.close();
    },
    extend: (client) =>
      withWriteThrough(client, {
        ...settings,
        outbox,
        writePolicy: options.writePolicy,
        leaseMs: options.leaseMs,
        onWriteError: (error, keys) => warn('cache write failed; the outbox will repair it')(error, { keys: keys.length }),
      }),
    loaders: (reader) =>
      Object.fromEntries(
        Object.entries(entities).map(([name, entity]) => [
          name,
          createEntityLoader({ ...settings, name, entity, db: reader, fills, onStoreError: warn('cache unavailable, reading PostgreSQL') }),
        ]),
      ) as EntityLoaders<E>,
  };
}
