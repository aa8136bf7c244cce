/**
 * Composition root: builds the long-lived parts of the API (the database
 * client with write-through, the cache, the token service) from the
 * configuration. The cache is the prisma-write-through package's
 * `createWriteThroughCache`, over Redis behind a circuit breaker and the
 * epoch fence; a `ServiceVariant` (the benchmark's baselines, in
 * scripts/bench/variants.ts) may replace its read and write paths.
 */
import type { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import {
  createCacheStats,
  createMemoryStore,
  createWriteThroughCache,
  toError,
  type CacheObserver,
  type CacheStats,
  type CacheStore,
  type ChangeListener,
  type EntityLoaders,
  type Outbox,
  type Reconciler,
} from 'prisma-write-through';
import type { Config } from './config.js';
import { createPrismaClient } from './db/client.js';
import { cachedEntities, entityMetadata } from './db/entities.js';
import { createRedisConnection, whenReady } from './db/redis.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createTokenService, type TokenService } from './auth/tokens.js';
import { logger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

/** One DataLoader per cached entity (User, Product, Cart), typed by its rows; one set per request. */
export type CachedLoaders = EntityLoaders<typeof cachedEntities>;

export interface Services {
  config: Config;
  /** `write-through` (the product), or the name of the `ServiceVariant` in use: the `mode` label of every metric. */
  mode: string;
  /** Prisma Client with the write-through extension: every write reaches the cache after commit. */
  db: PrismaClient;
  /** The same database without the extension, for readiness checks and tests. */
  rawDb: PrismaClient;
  /** The Redis client, or null when the in-process store is used (no REDIS_URL). */
  redis: Redis | Cluster | null;
  /** The cache epoch in use (packages/prisma-write-through/src/epoch.ts), null while fenced or without Redis. */
  cacheEpoch(): number | null;
  /** The Redis store behind a circuit breaker and the epoch fence (the in-process store without Redis). */
  store: CacheStore;
  outbox: Outbox;
  /** Replays the outbox and captured changes; started with the services (not under a variant). */
  reconciler: Reconciler;
  /**
   * LISTENs for the change-capture trigger's notifications on a connection of its own
   * (DIRECT_DATABASE_URL, else DATABASE_URL) and wakes the reconciler; null without PostgreSQL
   * (the embedded database) or under a variant, where nothing is captured.
   */
  changeListener: ChangeListener | null;
  /** A new set of the cached entities' loaders, for one request. */
  cachedLoaders(): CachedLoaders;
  stats: CacheStats;
  /**
   * SQL statements sent to PostgreSQL since start (BEGIN and COMMIT included):
   * `queries` on behalf of requests (and the seed), `background` by the
   * reconciler, the outbox cleanup, the epoch checks and metrics scrapes, on a
   * small pool of their own (the same client with the embedded database).
   */
  dbStats: { queries: number; background: number };
  tokens: TokenService;
  metrics: Metrics;
  log: Logger;
  /** Resolves when Redis is connected (true), or after `timeoutMs` without it (false); under a variant, also once its `ready` resolved. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** What a `ServiceVariant` composes its paths from. */
export interface VariantParts {
  config: Config;
  /** The database without the extension. */
  rawDb: PrismaClient;
  /** The Redis client (null without REDIS_URL); its store is the variant's to build. */
  redis: Redis | Cluster | null;
  stats: CacheStats;
  observer: CacheObserver;
}

/** The read and write paths a `ServiceVariant` puts in place of the write-through cache. */
export interface VariantPaths {
  /** The client mutations and loaders' misses use. */
  db: PrismaClient;
  /** A new set of the cached entities' loaders, for one request. */
  loaders(): CachedLoaders;
  /** Resolves when the variant can serve (e.g. its data is preloaded). */
  ready?: Promise<unknown>;
}

/**
 * Another caching strategy in place of the product's, built from the same
 * parts so that only the strategy differs: the benchmark's baselines
 * (scripts/bench/variants.ts). Under a variant the write-through extension,
 * the reconciler and the change listener do not run.
 */
export interface ServiceVariant {
  /** Its name (the `mode` label of every metric). */
  name: string;
  compose(parts: VariantParts): VariantPaths;
}

/** Connections of the background work's pool (reconciler, outbox cleanup, epoch checks, metrics). */
const BACKGROUND_POOL_SIZE = 3;

export function createServices(config: Config, log: Logger = logger, variant?: ServiceVariant): Services {
  const dbStats = { queries: 0, background: 0 };
  const rawDb = createPrismaClient({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onQuery: () => void dbStats.queries++ });
  // Background work on a pool of its own: it never waits behind requests for a connection (nor
  // they behind it), and its statements are counted apart. One client for the embedded database.
  const backgroundDb = config.databaseUrl
    ? createPrismaClient({ databaseUrl: config.databaseUrl, poolSize: BACKGROUND_POOL_SIZE, onQuery: () => void dbStats.background++ })
    : rawDb;
  const redis = config.redis ? createRedisConnection(config.redis, { commandTimeoutMs: config.redisCommandTimeoutMs }) : null;
  // Without a listener, ioredis reports connection errors as unhandled; they are expected while Redis is down.
  redis?.on('error', (error) => log.debug({ err: error.message }, 'redis connection error'));
  const mode = variant?.name ?? 'write-through';
  const stats = createCacheStats();
  const metrics = createMetrics({
    mode,
    stats,
    dbStats,
    outboxBacklog: () => (variant ? Promise.resolve(null) : cache.outbox.backlog(backgroundDb)),
    cacheEpoch: () => cache.epoch(),
  });
  const errorText = (error: unknown) => toError(error).message;
  // Writes that bypass the extension are captured by triggers that NOTIFY at COMMIT: a connection of
  // its own LISTENs and wakes the reconciler. Never through PgBouncer in transaction mode, where
  // LISTEN hears nothing: DIRECT_DATABASE_URL when set (checked by a probe at start).
  const listenUrl = config.directDatabaseUrl ?? config.databaseUrl;
  const cache = createWriteThroughCache({
    entities: cachedEntities,
    schema: entityMetadata,
    // Redis behind the circuit breaker and the epoch fence (a Redis that went back in time is never
    // read: packages/prisma-write-through/src/epoch.ts), built by the package; without REDIS_URL, the
    // in-process store: the same semantics, for a single API process.
    ...(redis ? { redis } : { store: () => createMemoryStore({ stats }) }),
    stats,
    db: backgroundDb,
    namespace: config.cacheNamespace,
    ttlSeconds: config.cacheTtlSeconds,
    writePolicy: config.cacheWritePolicy,
    leaseMs: config.cacheLeaseMs,
    fills: config.cacheFillLeaseMs > 0 && { leaseMs: config.cacheFillLeaseMs },
    observer: metrics.observer,
    logger: log,
    reconciler: { intervalMs: config.reconcileIntervalMs, replayAfterMs: config.outboxReplayAfterMs },
    ...(!variant &&
      listenUrl && {
        changeListener: {
          connect: () =>
            new pg.Client({ connectionString: listenUrl, keepAlive: true, connectionTimeoutMillis: 5000, application_name: 'storefront-change-listener' }),
          onError: (error) => log.debug({ err: errorText(error) }, 'change listener connection failed'),
          onState: (listening) =>
            listening
              ? log.debug('listening for writes that bypass the API')
              : log.warn('change listener disconnected: writes that bypass the API reach the cache by the reconciler poll until it reconnects'),
        },
      }),
  });

  let db: PrismaClient;
  let cachedLoaders: () => CachedLoaders;
  let variantReady: Promise<unknown> = Promise.resolve();
  let listenerStarted: Promise<unknown> = Promise.resolve();
  if (variant) {
    const paths = variant.compose({ config, rawDb, redis, stats, observer: metrics.observer });
    ({ db, loaders: cachedLoaders } = paths);
    variantReady = paths.ready ?? variantReady;
  } else {
    db = cache.extend(rawDb);
    cachedLoaders = () => cache.loaders(db);
    listenerStarted = cache.start().then(async (listening) => {
      if (!cache.listener) return;
      if (!listening)
        return log.warn(
          'change listener cannot connect: writes that bypass the API reach the cache by the reconciler poll (RECONCILE_INTERVAL_MS) until it does',
        );
      const send = (channel: string, payload: string) => backgroundDb.$executeRawUnsafe('SELECT pg_notify($1, $2)', channel, payload);
      if (!(await cache.listener.probe(send).catch(() => true))) {
        log.warn(
          'LISTEN receives no notifications (DATABASE_URL through PgBouncer in transaction mode? set DIRECT_DATABASE_URL to PostgreSQL itself): writes that bypass the API reach the cache by the reconciler poll only',
        );
      }
    });
  }

  return {
    config,
    mode,
    db,
    rawDb,
    redis,
    store: cache.store,
    outbox: cache.outbox,
    reconciler: cache.reconciler,
    changeListener: cache.listener,
    cachedLoaders: () => cachedLoaders(),
    stats,
    dbStats,
    tokens: createTokenService({ secret: config.jwtSecret, ttlSeconds: config.jwtTtlSeconds }),
    metrics,
    log,
    cacheEpoch: () => cache.epoch(),
    ready: async (timeoutMs = 5000) => {
      await variantReady;
      // Listening (or known not to be) before serving, so that a write right after start is heard.
      await Promise.race([listenerStarted, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      if (!redis || !(await whenReady(redis, timeoutMs))) return !redis;
      // Serve from the cache only once its epoch is checked (until then reads go to PostgreSQL).
      await cache.checkEpoch().catch((error: unknown) => log.warn({ err: errorText(error) }, 'cache epoch not checked yet; reads go to PostgreSQL'));
      return true;
    },
    async close() {
      await cache.close();
      await rawDb.$disconnect();
      if (backgroundDb !== rawDb) await backgroundDb.$disconnect();
    },
  };
}
