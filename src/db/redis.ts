/**
 * The Redis connection for the cache, tuned to fail fast: when Redis is down
 * or slow, a command fails within `commandTimeoutMs` instead of queueing, so
 * reads fall back to PostgreSQL without waiting. It keeps reconnecting. One
 * node, a Cluster or a Sentinel-managed primary, from the configuration.
 */
import { Cluster, Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { failFastRedisOptions } from 'prisma-write-through';
export { redisIdentity, type RedisIdentity } from 'prisma-write-through';
import type { RedisTopology } from '../config.js';

export interface RedisOptions {
  redisUrl: string;
  /** How long one command may take before it counts as failed, in ms. @default 250 */
  commandTimeoutMs?: number;
}

/** A client for one Redis node at `redisUrl` (`redis://` or `rediss://` for TLS). */
export function createRedisClient({ redisUrl, commandTimeoutMs = 250 }: RedisOptions): Redis {
  return new Redis(redisUrl, failFastRedisOptions(commandTimeoutMs));
}

/**
 * A client for the configured topology:
 * - `single`: one node;
 * - `cluster`: an ioredis `Cluster` (slot map refreshed on MOVED and every 5 s;
 *   the cache store groups every batch by node, see redis-store.ts);
 * - `sentinel`: the primary the Sentinels name, with `failoverDetector` (ioredis
 *   5.4+ watches `+switch-master` and reconnects at once, instead of waiting
 *   for the old primary to fail).
 * Every connection fails fast: no offline queue, `commandTimeoutMs` per command.
 */
export function createRedisConnection(topology: RedisTopology, { commandTimeoutMs = 250 } = {}): Redis | Cluster {
  if (topology.kind === 'single') return createRedisClient({ redisUrl: topology.url, commandTimeoutMs });
  const { username, password, tls } = topology.auth;
  const node: IORedisOptions = {
    ...failFastRedisOptions(commandTimeoutMs),
    ...(username && { username }),
    ...(password && { password }),
    ...(tls && { tls: {} }),
  };
  if (topology.kind === 'cluster') {
    return new Cluster(topology.nodes, {
      enableOfflineQueue: false,
      redisOptions: node,
      // Keep trying to reach the cluster, every 2 s at most (reads go to PostgreSQL meanwhile).
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      slotsRefreshTimeout: 2000,
      slotsRefreshInterval: 5000,
      // Redirections are followed by ioredis; a command never waits for a node that is down.
      maxRedirections: 16,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      ...(tls && { dnsLookup: (address, callback) => callback(null, address) }),
    });
  }
  return new Redis({
    ...node,
    sentinels: topology.sentinels,
    name: topology.name,
    role: 'master',
    failoverDetector: true,
    ...(topology.sentinelPassword && { sentinelPassword: topology.sentinelPassword }),
    ...(tls && { enableTLSForSentinelMode: true, sentinelTLS: {} }),
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
}

/**
 * Resolves true once the client is connected, or false after `timeoutMs`
 * (the API then starts degraded, reading PostgreSQL, until Redis answers).
 */
export function whenReady(redis: Redis | Cluster, timeoutMs: number): Promise<boolean> {
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
