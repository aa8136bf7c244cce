/**
 * What the package needs of an ioredis client: the options that make it fail
 * fast (so reads fall back to PostgreSQL at once when Redis is down or slow),
 * and the identity of the Redis data behind it, for the epoch fence (epoch.ts).
 */
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { identityFromInfo } from './epoch.js';

/**
 * ioredis options for a cache connection that fails fast: no offline queue
 * (a command while disconnected fails at once instead of waiting unbounded:
 * ioredis issue #1604), one retry, each command bounded by `commandTimeoutMs`
 * (ms), steady reconnects (100 ms more per attempt, at most 2 s). Give them to
 * `new Redis(url, failFastRedisOptions())`, or as a Cluster's `redisOptions`
 * (with `enableOfflineQueue: false` on the Cluster too).
 */
export function failFastRedisOptions(commandTimeoutMs = 250): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
}

/**
 * What in `redis`'s options would make cache reads wait instead of falling
 * back to PostgreSQL (empty when none): an offline queue, no command timeout,
 * more than one retry per request. Read from `options` (one node, Sentinel)
 * or `options.redisOptions` (Cluster).
 */
export function slowRedisOptions(redis: Redis | Cluster): string[] {
  const cluster = 'isCluster' in redis && redis.isCluster;
  const node: RedisOptions = (cluster ? (redis as Cluster).options.redisOptions : (redis as Redis).options) ?? {};
  const problems: string[] = [];
  const offlineQueue = cluster
    ? (redis as Cluster).options.enableOfflineQueue !== false || node.enableOfflineQueue !== false
    : node.enableOfflineQueue !== false;
  if (offlineQueue) problems.push('enableOfflineQueue is not false (commands wait while disconnected)');
  if (!node.commandTimeout) problems.push('no commandTimeout (a slow Redis holds every read)');
  if (node.maxRetriesPerRequest === undefined || node.maxRetriesPerRequest === null || node.maxRetriesPerRequest > 1) {
    problems.push(`maxRetriesPerRequest is ${String(node.maxRetriesPerRequest ?? 20)} (reads retry that often before falling back)`);
  }
  return problems;
}

/** What the cache epoch (packages/prisma-write-through/src/epoch.ts) needs to know about the Redis behind a client. */
export interface RedisIdentity {
  /**
   * `<host:port>=<run_id>/<master_replid>` of the server (of every master
   * serving a hash slot, sorted, on a Cluster). `run_id` changes on every
   * restart, `master_replid` on every promotion of a replica. Rejects if a
   * server does not answer within the command timeout, if a Cluster's slot map
   * does not cover all 16384 slots yet, or if a server thought to be the
   * primary (or a master) answers as a replica.
   */
  identify(): Promise<string>;
  /**
   * Cluster only (always true otherwise): whether every key is served now, by
   * the client's slot map after any MOVED it followed, by a master found by
   * the last `identify()`. False after a promotion the client followed without
   * a reconnection (a partition healed, a forced failover): the read is
   * discarded and the identity checked again.
   */
  stillServed(keys: readonly string[]): boolean;
}

/** The identity of the Redis data behind `redis` (see RedisIdentity). */
export function redisIdentity(redis: Redis | Cluster): RedisIdentity {
  if (!('isCluster' in redis && redis.isCluster)) {
    const server = redis as Redis;
    return {
      async identify() {
        const info = await server.info();
        // A primary demoted under a client that did not follow the switch (a Sentinel set whose
        // old primary became a replica): reconnect through the Sentinels, and stay fenced meanwhile.
        if (/^role:slave/m.test(info)) {
          server.disconnect(true);
          throw new Error('connected to a replica, not the primary: reconnecting through the Sentinels');
        }
        return `${server.options.host}:${server.options.port}=${identityFromInfo(info)}`;
      },
      stillServed: () => true,
    };
  }
  const cluster = redis as Cluster;
  let masters = new Set<string>();
  return {
    async identify() {
      // The masters reads go to: those of the slot map, not every node the client knows.
      const serving = new Set<string>();
      for (let slot = 0; slot < 16384; slot++) {
        const node = cluster.slots[slot]?.[0];
        if (!node) throw new Error(`the cluster's slot map does not cover slot ${slot} yet`);
        serving.add(node);
      }
      const byKey = new Map(cluster.nodes('all').map((n) => [`${n.options.host}:${n.options.port}`, n]));
      const identities = await Promise.all(
        [...serving].map(async (key) => {
          const node = byKey.get(key);
          if (!node) throw new Error(`no connection to the master ${key} of the slot map yet`);
          const info = await node.info();
          if (/^role:slave/m.test(info)) {
            void cluster.refreshSlotsCache();
            throw new Error(`${key} is a replica now: the slot map is being refreshed`);
          }
          return `${key}=${identityFromInfo(info)}`;
        }),
      );
      masters = serving;
      return identities.sort().join(',');
    },
    stillServed(keys) {
      return keys.every((key) => masters.has(cluster.slots[calculateSlot(key)]?.[0] ?? ''));
    },
  };
}
