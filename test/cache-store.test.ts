/**
 * The cache store contract, run against both stores: Redis (real, with its
 * Lua scripts) and the in-process store. Same calls, same outcomes.
 */
import type { Redis } from 'ioredis';
import { afterAll, describe, expect } from 'vitest';
import { createCacheStats, type CacheStore } from 'prisma-write-through';
// The contract also checks blind writes (compareAndSet off): a switch of the testing entry.
import { createMemoryStore, createRedisStore } from 'prisma-write-through/testing';
import { createRedisClient, whenReady } from '../src/db/redis.js';
import { storeContract } from './support/store-contract.js';

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

const stores: [string, (options?: { compareAndSet?: boolean }) => CacheStore][] = [
  [
    'redis',
    (options) => {
      const redis = createRedisClient({ redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' });
      clients.push(redis);
      return createRedisStore({ redis, stats: createCacheStats(), ...options });
    },
  ],
  ['memory', (options) => createMemoryStore({ stats: createCacheStats(), ...options })],
];

describe.each(stores)('%s store', (_, make) => {
  storeContract(make, async () => {
    for (const client of clients) expect(await whenReady(client, 5000)).toBe(true);
  });
});
