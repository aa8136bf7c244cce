/**
 * Composition root: builds the long-lived parts of the API (database client
 * with write-through, cache store, token service) from the configuration.
 */
import type { Redis } from 'ioredis';
import { createCacheStats, createRedisStore, withWriteThrough, type CacheStats, type CacheStore } from './cache/index.js';
import type { Config } from './config.js';
import { createPrismaClient } from './db/client.js';
import { cachedEntities } from './db/entities.js';
import { createRedisClient } from './db/redis.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createTokenService, type TokenService } from './auth/tokens.js';
import { logger, type Logger } from './logger.js';

export interface Services {
  config: Config;
  /** Prisma Client with the write-through extension: every write reaches the cache after commit. */
  db: PrismaClient;
  /** The same database without the extension, for readiness checks and tests. */
  rawDb: PrismaClient;
  redis: Redis;
  store: CacheStore;
  stats: CacheStats;
  /** SQL statements sent to PostgreSQL since start (BEGIN and COMMIT included). */
  dbStats: { queries: number };
  tokens: TokenService;
  log: Logger;
  close(): Promise<void>;
}

export function createServices(config: Config, log: Logger = logger): Services {
  const dbStats = { queries: 0 };
  const rawDb = createPrismaClient({ databaseUrl: config.databaseUrl, onQuery: () => void dbStats.queries++ });
  const redis = createRedisClient({ redisUrl: config.redisUrl });
  // Without a listener, ioredis reports connection errors as unhandled; they are expected while Redis is down.
  redis.on('error', (error) => log.debug({ err: error.message }, 'redis connection error'));
  const stats = createCacheStats();
  const store = createRedisStore({ redis, stats });
  const db = withWriteThrough(rawDb, {
    entities: cachedEntities,
    store,
    stats,
    namespace: config.cacheNamespace,
    ttlSeconds: config.cacheTtlSeconds,
    onWriteError: (error, keys) =>
      log.error({ err: error instanceof Error ? error.message : String(error), keys: keys.length }, 'cache write after commit failed'),
  });
  return {
    config,
    db,
    rawDb,
    redis,
    store,
    stats,
    dbStats,
    tokens: createTokenService({ secret: config.jwtSecret, ttlSeconds: config.jwtTtlSeconds }),
    log,
    async close() {
      await rawDb.$disconnect();
      await store.close();
    },
  };
}
