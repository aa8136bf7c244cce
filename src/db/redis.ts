/**
 * The Redis connection for the cache, tuned to fail fast: when Redis is down
 * or slow, a command fails within `commandTimeoutMs` instead of queueing, so
 * reads fall back to PostgreSQL without waiting. It keeps reconnecting. One
 * node, a Cluster or a Sentinel-managed primary, from the configuration.
 */
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import { identityFromInfo } from 'prisma-write-through';
import type { RedisTopology } from '../config.js';

export interface RedisOptions {
  redisUrl: string;
  /** How long one command may take before it counts as failed, in ms. @default 250 */
  commandTimeoutMs?: number;
}

/** Options every connection shares: no offline queue (ioredis #1604), bounded commands, steady reconnects. */
function failFast(commandTimeoutMs: number): IORedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
}

/** A client for one Redis node at `redisUrl` (`redis://` or `rediss://` for TLS). */
export function createRedisClient({ redisUrl, commandTimeoutMs = 250 }: RedisOptions): Redis {
  return new Redis(redisUrl, failFast(commandTimeoutMs));
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
    ...failFast(commandTimeoutMs),
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
