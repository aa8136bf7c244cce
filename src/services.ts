/**
 * Composition root: builds the long-lived parts of the API (database client
 * with write-through, cache store, token service) from the configuration.
 */
import type { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import {
  createCacheStats,
  createOutbox,
  createReconciler,
  createRedisStore,
  withCircuitBreaker,
  withEpochFence,
  withWriteThrough,
  type CacheStats,
  type CacheStore,
  type Outbox,
  type Reconciler,
} from 'prisma-write-through';
import type { Config } from './config.js';
import { createPrismaClient } from './db/client.js';
import { cachedEntities, entityMetadata } from './db/entities.js';
import { createRedisConnection, redisIdentity, whenReady } from './db/redis.js';
import { createMemoryStore } from 'prisma-write-through';
import { createChangeListener, type ChangeListener } from 'prisma-write-through';
// The benchmark's cache-aside baseline needs the switches the product never uses.
import * as testing from 'prisma-write-through/testing';
import type { PrismaClient } from './generated/prisma/client.js';
import { createTokenService, type TokenService } from './auth/tokens.js';
import { logger, type Logger } from './logger.js';
import { preloadMemoryStore, withoutDatabase } from './baselines.js';
import { createMetrics, type Metrics } from './metrics.js';
import { toError } from 'prisma-write-through';

export interface Services {
  config: Config;
  /** Prisma Client with the write-through extension: every write reaches the cache after commit. */
  db: PrismaClient;
  /** The same database without the extension, for readiness checks and tests. */
  rawDb: PrismaClient;
  /** The Redis client, or null when the in-process store is used (no REDIS_URL). */
  redis: Redis | Cluster | null;
  /** The cache epoch in use (packages/prisma-write-through/src/epoch.ts), null while fenced or without Redis. */
  cacheEpoch(): number | null;
  /** The Redis store behind a circuit breaker and the epoch fence. */
  store: CacheStore;
  outbox: Outbox;
  /** Replays the outbox; started with the services. */
  reconciler: Reconciler;
  /**
   * LISTENs for the change-capture trigger's notifications on a connection of its own
   * (DIRECT_DATABASE_URL, else DATABASE_URL) and wakes the reconciler; null without PostgreSQL
   * (the embedded database) or outside `write-through` mode, where the poll alone publishes.
   */
  changeListener: ChangeListener | null;
  /** The store the per-request loaders read (null: straight to PostgreSQL), per `API_MODE`. */
  loaderStore: CacheStore | null;
  /** Whether loaders batch and memoize (off only in `API_MODE=naive`). */
  batching: boolean;
  stats: CacheStats;
  /** SQL statements sent to PostgreSQL since start (BEGIN and COMMIT included). */
  dbStats: { queries: number };
  tokens: TokenService;
  metrics: Metrics;
  log: Logger;
  /** Resolves when Redis is connected (true), or after `timeoutMs` without it (false); in ceiling mode, also once preloaded. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export function createServices(config: Config, log: Logger = logger): Services {
  const dbStats = { queries: 0 };
  const rawDb = createPrismaClient({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onQuery: () => void dbStats.queries++ });
  const redis = config.redis ? createRedisConnection(config.redis, { commandTimeoutMs: config.redisCommandTimeoutMs }) : null;
  // Without a listener, ioredis reports connection errors as unhandled; they are expected while Redis is down.
  redis?.on('error', (error) => log.debug({ err: error.message }, 'redis connection error'));
  const stats = createCacheStats();
  // Read at scrape time, once the fence below exists.
  const cacheEpoch = () => fenced?.epoch() ?? null;
  const metrics = createMetrics({
    mode: config.apiMode,
    stats,
    dbStats,
    outboxBacklog: () => (config.apiMode === 'write-through' ? outbox.backlog(rawDb) : Promise.resolve(null)),
    cacheEpoch,
  });
  const errorText = (error: unknown) => toError(error).message;
  // Redis behind the epoch fence (a Redis that went back in time is never read: packages/prisma-write-through/src/epoch.ts),
  // and the fence around the circuit breaker, so being fenced never opens the circuit.
  const fenced = redis
    ? withEpochFence({
        store: withCircuitBreaker(createRedisStore({ redis, stats, onRoundTrip: metrics.observer.roundTrip }), {
          onChange: (state) => log.warn({ state }, state === 'open' ? 'cache circuit open: Redis is failing, using PostgreSQL' : 'cache circuit closed: Redis answers again'),
        }),
        stats,
        namespace: config.cacheNamespace,
        db: rawDb,
        ...redisIdentity(redis),
        connection: redis,
        onEpoch: (epoch, started) =>
          started && epoch > 1
            ? log.warn({ epoch }, 'Redis changed (restart, failover or another server): new cache epoch, refilling from PostgreSQL')
            : log.info({ epoch }, 'cache epoch checked'),
        onError: (error) => log.debug({ err: errorText(error) }, 'cache epoch check failed; reads go to PostgreSQL until it succeeds'),
      })
    : null;
  // Without REDIS_URL, the in-process store: the same semantics, for a single API process.
  const store: CacheStore = fenced ?? createMemoryStore({ stats });
  const outbox = createOutbox(rawDb, {}, (error) => log.warn({ err: errorText(error) }, 'outbox cleanup failed; the reconciler will replay'));
  const cache = { entities: cachedEntities, schema: entityMetadata, store, stats, namespace: config.cacheNamespace, ttlSeconds: config.cacheTtlSeconds, observer: metrics.observer };
  const reconciler = createReconciler({
    ...cache,
    db: rawDb,
    outbox,
    intervalMs: config.reconcileIntervalMs,
    replayAfterMs: config.outboxReplayAfterMs,
    onError: (error) => log.debug({ err: errorText(error) }, 'reconciler pass failed; retrying'),
  });
  // Writes that bypass the extension are captured by triggers that NOTIFY at COMMIT: a connection of
  // its own LISTENs and wakes the reconciler. Never through PgBouncer in transaction mode, where
  // LISTEN hears nothing: DIRECT_DATABASE_URL when set (checked by a probe at start).
  const listenUrl = config.directDatabaseUrl ?? config.databaseUrl;
  const changeListener =
    config.apiMode === 'write-through' && listenUrl
      ? createChangeListener({
          connect: () => new pg.Client({ connectionString: listenUrl, keepAlive: true, connectionTimeoutMillis: 5000, application_name: 'storefront-change-listener' }),
          onChange: () => reconciler.wake(),
          onError: (error) => log.debug({ err: errorText(error) }, 'change listener connection failed'),
          onState: (listening) =>
            listening
              ? log.debug('listening for writes that bypass the API')
              : log.warn('change listener disconnected: writes that bypass the API reach the cache by the reconciler poll until it reconnects'),
        })
      : null;
  let listenerStarted: Promise<unknown> = Promise.resolve();

  // The product is write-through; the other modes are the benchmark's baselines (src/baselines.ts).
  let db: PrismaClient = rawDb;
  let loaderStore: CacheStore | null = store;
  let preloaded: Promise<unknown> = Promise.resolve();
  switch (config.apiMode) {
    case 'write-through':
      db = withWriteThrough(rawDb, {
        ...cache,
        outbox,
        writePolicy: config.cacheWritePolicy,
        leaseMs: config.cacheLeaseMs,
        onWriteError: (error, keys) => log.warn({ err: errorText(error), keys: keys.length }, 'cache write failed; the outbox will repair it'),
      });
      reconciler.start();
      if (changeListener) {
        listenerStarted = changeListener.start();
        void listenerStarted.then(async (listening) => {
          if (!listening) return log.warn('change listener cannot connect: writes that bypass the API reach the cache by the reconciler poll (RECONCILE_INTERVAL_MS) until it does');
          const send = (channel: string, payload: string) => rawDb.$executeRawUnsafe('SELECT pg_notify($1, $2)', channel, payload);
          if (!(await changeListener.probe(send).catch(() => true))) {
            log.warn('LISTEN receives no notifications (DATABASE_URL through PgBouncer in transaction mode? set DIRECT_DATABASE_URL to PostgreSQL itself): writes that bypass the API reach the cache by the reconciler poll only');
          }
        });
      }
      break;
    case 'no-cache':
    case 'naive':
      loaderStore = null;
      break;
    case 'cache-aside': {
      const plain = redis ? testing.createRedisStore({ redis, stats, compareAndSet: false }) : testing.createMemoryStore({ stats, compareAndSet: false });
      db = testing.withWriteThrough(rawDb, { ...cache, store: plain, outbox: null, remedies: { leases: false, tombstones: false }, publish: 'invalidate' });
      loaderStore = plain;
      break;
    }
    case 'ceiling':
      db = withoutDatabase(rawDb);
      loaderStore = null;
      preloaded = preloadMemoryStore(rawDb, stats, config.cacheNamespace).then((memory) => {
        services.loaderStore = memory;
      });
      break;
  }

  const services: Services = {
    config,
    db,
    rawDb,
    redis,
    store,
    outbox,
    reconciler,
    changeListener,
    loaderStore,
    batching: config.apiMode !== 'naive',
    stats,
    dbStats,
    tokens: createTokenService({ secret: config.jwtSecret, ttlSeconds: config.jwtTtlSeconds }),
    metrics,
    log,
    cacheEpoch,
    ready: async (timeoutMs = 5000) => {
      await preloaded;
      // Listening (or known not to be) before serving, so that a write right after start is heard.
      await Promise.race([listenerStarted, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      if (!redis || !(await whenReady(redis, timeoutMs))) return !redis;
      // Serve from the cache only once its epoch is checked (until then reads go to PostgreSQL).
      await fenced?.check().catch((error: unknown) => log.warn({ err: errorText(error) }, 'cache epoch not checked yet; reads go to PostgreSQL'));
      return true;
    },
    async close() {
      await changeListener?.close();
      await reconciler.stop();
      await outbox.close();
      await rawDb.$disconnect();
      await store.close();
    },
  };
  return services;
}
