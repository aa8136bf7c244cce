/**
 * The cache store contract (the package's, from `prisma-write-through/testing`)
 * as vitest cases: the same calls must give the same outcomes on every store
 * (one Redis, a Redis Cluster, the in-process store). `ready` waits for the
 * store's connections, if any.
 */
import { it } from 'vitest';
import type { CacheStore } from 'prisma-write-through';
import { storeContract as contractCases } from 'prisma-write-through/testing';

export function storeContract(make: (options?: { compareAndSet?: boolean }) => CacheStore, ready: () => Promise<void> = async () => {}) {
  for (const { name, run } of contractCases({ make, ready })) it(name, run);
}
