/**
 * The Redis connection for the cache, tuned to fail fast: when Redis is down
 * or slow, a command fails within `commandTimeoutMs` instead of queueing, so
 * reads fall back to PostgreSQL without waiting. It keeps reconnecting.
 */
import { Redis } from 'ioredis';

export interface RedisOptions {
  redisUrl: string;
  /** How long one command may take before it counts as failed, in ms. @default 250 */
  commandTimeoutMs?: number;
}

export function createRedisClient({ redisUrl, commandTimeoutMs = 250 }: RedisOptions): Redis {
  return new Redis(redisUrl, {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
}

/**
 * Resolves true once the client is connected, or false after `timeoutMs`
 * (the API then starts degraded, reading PostgreSQL, until Redis answers).
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
  });
}
