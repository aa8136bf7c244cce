/**
 * The one entry point: the settings given once, and every part built from
 * them so that they agree (keys, TTLs, the store, the outbox): the Prisma
 * Client extension, typed per-request loaders, the reconciler and the stats.
 */
import type DataLoader from 'dataloader';
import type { Cluster, Redis } from 'ioredis';
import { withCircuitBreaker } from './breaker.js';
import { withEpochFence, type EpochFencedStore } from './epoch.js';
import { redisIdentity, slowRedisOptions } from './redis-client.js';
import { createRedisStore } from './redis-store.js';
import { resolveSchema } from './schema.js';
import { createFillCoordination, type FillCoordinationOptions } from './fills.js';
import { createChangeListener, type ChangeListener, type ChangeListenerOptions } from './listener.js';
import { entityLoaderFactory, type Cached } from './loader.js';
import { createOutbox, type Outbox, type SqlClient } from './outbox.js';
import { createReconciler, type Reconciler, type ReconcilerOptions } from './reconciler.js';
import type { EntityMetadata } from './schema.js';
import { createCacheStats, type CacheObserver, type CacheStats, type CacheStore, type CachedEntity, type EntityId } from './types.js';
import { withWriteThrough, type WritePolicy } from './write-through.js';

/**
 * Where the package logs: pino's and most loggers' `(fields, message)` shape.
 * Logged: failures the cache survives (Redis down, a publish or lease
 * failed, a reconciler pass failed) and, with `redis`, the cache epoch
 * (`info` when checked, `warn` when a new one starts); nothing on the hot path.
 */
export interface Logger {
  warn(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
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
   * Redis, the usual way: an ioredis client (one node, Sentinel or Cluster),
   * best made with `failFastRedisOptions()` (a `logger` is warned about
   * options that would make reads wait: `slowRedisOptions`). The cache builds
   * its store on it: the Redis store behind a circuit breaker and the epoch
   * fence (epoch.ts: a Redis that restarted from an older snapshot, failed
   * over or was restored is never read; needs the `CacheEpoch` table of
   * sql/tables.sql). `close()` disconnects it. Give `redis` or `store`.
   */
  redis?: Redis | Cluster;
  /**
   * Any other store, built with the cache's stats: e.g.
   * `(stats) => createMemoryStore({ stats })` for a single process, or a
   * Redis store composed by hand (`withEpochFence`, `withCircuitBreaker`,
   * `createRedisStore`). Give `redis` or `store`.
   */
  store?: (stats: CacheStats) => CacheStore;
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
  /** With `redis`: the cache epoch in use (epoch.ts), null while the fence is up; always null with `store`. */
  epoch(): number | null;
  /**
   * With `redis`: checks the Redis identity now (the fence is up meanwhile) and
   * resolves once the cache serves in the epoch of that Redis; rejects when
   * the check could not be made (it is tried again every second). Await it
   * before serving, so the first requests use the cache. With `store`: resolves.
   */
  checkEpoch(): Promise<void>;
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

const DEFAULT_NAMESPACE = 'wt:';

/** Throws a `TypeError` naming the first option that is wrong (see WriteThroughCacheOptions). */
function validate(options: WriteThroughCacheOptions<any>): void {
  const fail = (message: string): never => {
    throw new TypeError(`createWriteThroughCache: ${message}`);
  };
  if (!options.schema || typeof options.schema !== 'object' || !('models' in options.schema)) {
    fail("schema must be the entity metadata prisma generate emitted (import { entityMetadata } from the generator's output)");
  }
  if (!options.entities || Object.keys(options.entities).length === 0) fail('entities must name at least one cached entity');
  for (const [name, entity] of Object.entries(options.entities)) {
    if (typeof (entity as { load?: unknown } | undefined)?.load !== 'function') fail(`entities.${name}.load must be a function (db, ids) => rows`);
  }
  if (!!options.redis === !!options.store) fail('give either redis (an ioredis client) or store, not both or neither');
  if (!options.db || typeof options.db.$transaction !== 'function') fail('db must be the Prisma Client without the extension');
  const { namespace, ttlSeconds, leaseMs } = options;
  if (namespace !== undefined && (typeof namespace !== 'string' || !/^[A-Za-z0-9_.:-]{0,64}$/.test(namespace))) {
    fail(`namespace may only hold letters, digits and _.:- (at most 64), got ${JSON.stringify(namespace)}`);
  }
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0))
    fail(`ttlSeconds must be a positive integer, got ${JSON.stringify(ttlSeconds)}`);
  if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs > 0)) fail(`leaseMs must be a positive integer, got ${JSON.stringify(leaseMs)}`);
  const intervalMs = options.reconciler?.intervalMs;
  if (intervalMs !== undefined && !(Number.isInteger(intervalMs) && intervalMs > 0))
    fail(`reconciler.intervalMs must be a positive integer, got ${JSON.stringify(intervalMs)}`);
}

/**
 * Builds the cache from its settings (see WriteThroughCacheOptions). Throws
 * an `Error` when `entities` do not match `schema` (resolveSchema), and a
 * `TypeError` on an invalid option.
 */
export function createWriteThroughCache<E extends Record<string, CachedEntity<any, any>>>(options: WriteThroughCacheOptions<E>): WriteThroughCache<E> {
  const { entities, schema, db, namespace, ttlSeconds, observer, logger, redis } = options;
  validate(options);
  // Entities against the schema now, not at the first write (throws, saying what to change).
  resolveSchema(entities, schema);
  const stats = options.stats ?? createCacheStats();
  const warn =
    (message: string) =>
    (error: unknown, fields: Record<string, unknown> = {}) =>
      logger?.warn({ ...fields, err: toError(error).message }, message);
  let fenced: EpochFencedStore | null = null;
  if (redis) {
    const slow = slowRedisOptions(redis);
    if (slow.length > 0)
      logger?.warn(
        { problems: slow },
        'the Redis client does not fail fast (use failFastRedisOptions()): reads wait on Redis instead of falling back to PostgreSQL',
      );
  }
  const store = redis
    ? (fenced = withEpochFence({
        store: withCircuitBreaker(createRedisStore({ redis, stats, ...(observer?.roundTrip && { onRoundTrip: observer.roundTrip }) }), {
          onChange: (state) =>
            logger?.warn({ state }, state === 'open' ? 'cache circuit open: Redis is failing, using PostgreSQL' : 'cache circuit closed: Redis answers again'),
        }),
        stats,
        namespace: namespace ?? DEFAULT_NAMESPACE,
        db,
        ...redisIdentity(redis),
        connection: redis,
        onEpoch: (epoch, started) =>
          started && epoch > 1
            ? logger?.warn({ epoch }, 'Redis changed (restart, failover or another server): new cache epoch, refilling from PostgreSQL')
            : logger?.info?.({ epoch }, 'cache epoch checked'),
        onError: (error) => logger?.debug?.({ err: toError(error).message }, 'cache epoch check failed; reads go to PostgreSQL until it succeeds'),
      }))
    : options.store!(stats);
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
  // Keys and shape fingerprints once per entity, not per request (loader.ts).
  const onStoreError = warn('cache unavailable, reading PostgreSQL');
  const loaderFactories = Object.entries(entities).map(
    ([name, entity]) => [name, entityLoaderFactory({ ...settings, name, entity, fills, onStoreError })] as const,
  );
  const listener = options.changeListener ? createChangeListener({ ...options.changeListener, onChange: () => reconciler.wake() }) : null;
  let started: Promise<boolean> | null = null;
  return {
    stats,
    store,
    outbox,
    reconciler,
    listener,
    epoch: () => fenced?.epoch() ?? null,
    checkEpoch: () => fenced?.check() ?? Promise.resolve(),
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
    loaders(reader) {
      const loaders: Record<string, unknown> = {};
      for (const [name, factory] of loaderFactories) loaders[name] = factory(reader);
      return loaders as EntityLoaders<E>;
    },
  };
}
