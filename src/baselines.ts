/**
 * The alternatives this API is benchmarked against (`API_MODE`), built from
 * the same parts so that only the caching strategy differs:
 *
 * - `write-through` (the product): the write-through extension, Redis, batching loaders.
 * - `no-cache`: Prisma and batching DataLoaders, no Redis.
 * - `naive`: Prisma, no DataLoader batching or memoization (the N+1 baseline).
 * - `cache-aside`: loaders read Redis and fill it with plain SETs (no
 *   compare-and-set); writes delete the keys after COMMIT. No leases, no
 *   outbox: what most projects build, with the races those close.
 * - `ceiling`: every entity preloaded into an in-process store, no I/O at all
 *   while serving; anything that would need the database (mutations, the
 *   products page) answers NOT_SUPPORTED_IN_MODE. The upper bound of this
 *   server stack.
 */
import type { CacheStats, CacheStore, CachedEntity, EntityId } from 'prisma-write-through';
import { createMemoryStore } from 'prisma-write-through';
import { createEntries } from 'prisma-write-through';
import { cachedEntities, entityMetadata } from './db/entities.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { ErrorCode, SafeError } from './graphql/errors.js';

const MODELS = new Set(['user', 'product', 'cart', 'cartItem', 'order', 'orderItem', 'cacheOutbox', '$transaction', '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe']);

/** A client on which any database access fails with NOT_SUPPORTED_IN_MODE (ceiling mode serves from memory only). */
export function withoutDatabase(db: PrismaClient): PrismaClient {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (typeof property === 'string' && MODELS.has(property)) {
        throw new SafeError(ErrorCode.NOT_SUPPORTED_IN_MODE, 'Not supported in API_MODE=ceiling: it serves preloaded data only, with no database access');
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/**
 * The ceiling's store: every user, product and cart loaded into memory at
 * start, exactly as the loaders would cache them, in chunks of `chunk` ids.
 */
export async function preloadMemoryStore(db: PrismaClient, stats: CacheStats, namespace: string, chunk = 5000): Promise<CacheStore> {
  const all = await Promise.all([
    db.user.findMany({ select: { id: true } }).then((rows) => rows.map((r) => r.id)),
    db.product.findMany({ select: { id: true } }).then((rows) => rows.map((r) => r.id)),
    db.cart.findMany({ select: { userId: true } }).then((rows) => rows.map((r) => r.userId)),
  ]);
  const store = createMemoryStore({ stats, maxEntries: Number.MAX_SAFE_INTEGER });
  const entries = createEntries({ entities: cachedEntities, schema: entityMetadata, namespace, ttlSeconds: 30 * 24 * 3600 });
  const names = ['User', 'Product', 'Cart'] as const;
  for (const [i, name] of names.entries()) {
    const entity: CachedEntity<PrismaClient> = cachedEntities[name];
    const ids = all[i]!;
    for (let at = 0; at < ids.length; at += chunk) {
      const rows = (await entity.load(db, ids.slice(at, at + chunk))) as Record<string, any>[];
      await store.write(rows.map((row) => entries.value(name, row[entity.idField ?? 'id'] as EntityId, row)));
    }
  }
  return store;
}
