/**
 * The alternatives the write-through API is benchmarked against, composed
 * from the prisma-write-through package's parts (its public entry, and its
 * `/testing` entry for the switches the product never uses) and put in place
 * of the product's cache by `createServices`'s `variant` (src/services.ts).
 * The same server, plugins, schema and resolvers: only the caching strategy
 * differs. scripts/bench/server.ts runs the API with one of them
 * (`BENCH_VARIANT`); without it, the API is the product (`write-through`).
 *
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
import { createEntries, createMemoryStore, type CacheStats, type CacheStore, type CachedEntity, type EntityId } from 'prisma-write-through';
import * as testing from 'prisma-write-through/testing';
import { cachedEntities, entityMetadata } from '../../src/db/entities.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ErrorCode, SafeError } from '../../src/graphql/errors.js';
import type { CachedLoaders, ServiceVariant, VariantParts } from '../../src/services.js';

/** The GraphQL error code of an operation the ceiling cannot answer (scripts/bench/probe.ts counts these as n/a). */
export const NOT_SUPPORTED_IN_MODE = 'NOT_SUPPORTED_IN_MODE';

/** The benchmark's variants by name (the `mode` label of their metrics). */
export const VARIANTS = {
  'no-cache': { name: 'no-cache', compose: (parts) => ({ db: parts.rawDb, loaders: loadersOn(parts, parts.rawDb, null) }) },
  naive: { name: 'naive', compose: (parts) => ({ db: parts.rawDb, loaders: loadersOn(parts, parts.rawDb, null, { batching: false }) }) },
  'cache-aside': {
    name: 'cache-aside',
    compose(parts) {
      const { redis, stats, rawDb } = parts;
      const plain = redis ? testing.createRedisStore({ redis, stats, compareAndSet: false }) : testing.createMemoryStore({ stats, compareAndSet: false });
      const db = testing.withWriteThrough(rawDb, { ...settingsOf(parts), store: plain, outbox: null, remedies: { leases: false, tombstones: false }, publish: 'invalidate' });
      return { db, loaders: loadersOn(parts, db, plain) };
    },
  },
  ceiling: {
    name: 'ceiling',
    compose(parts) {
      const db = withoutDatabase(parts.rawDb);
      let store: CacheStore | null = null;
      const ready = preloadMemoryStore(parts.rawDb, parts.stats, parts.config.cacheNamespace).then((memory) => (store = memory));
      return {
        db,
        ready,
        loaders: () => {
          if (!store) throw new Error('ceiling: not preloaded yet');
          return loadersOn(parts, db, store)();
        },
      };
    },
  },
} satisfies Record<string, ServiceVariant>;

export type VariantName = keyof typeof VARIANTS;

const settingsOf = ({ config, stats, observer }: VariantParts) => ({
  entities: cachedEntities,
  schema: entityMetadata,
  stats,
  observer,
  namespace: config.cacheNamespace,
  ttlSeconds: config.cacheTtlSeconds,
});

/** Loaders per request over `store` (null: straight to `db`), batching unless told otherwise. */
function loadersOn(parts: VariantParts, db: PrismaClient, store: CacheStore | null, { batching = true } = {}): () => CachedLoaders {
  const loader = (name: keyof typeof cachedEntities) =>
    testing.createEntityLoader({ ...settingsOf(parts), name, entity: cachedEntities[name] as CachedEntity<PrismaClient>, db, store, batching });
  return () => ({ User: loader('User'), Product: loader('Product'), Cart: loader('Cart') }) as CachedLoaders;
}

const MODELS = new Set(['user', 'product', 'cart', 'cartItem', 'order', 'orderItem', 'cacheOutbox', '$transaction', '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe']);

/** A client on which any database access fails with NOT_SUPPORTED_IN_MODE (the ceiling serves from memory only). */
function withoutDatabase(db: PrismaClient): PrismaClient {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (typeof property === 'string' && MODELS.has(property)) {
        const error = new SafeError(ErrorCode.BAD_REQUEST, 'Not supported by the ceiling variant: it serves preloaded data only, with no database access');
        // A code of the benchmark's own, not one of the API's (src/graphql/errors.ts).
        error.extensions.code = NOT_SUPPORTED_IN_MODE;
        throw error;
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/**
 * The ceiling's store: every user, product and cart loaded into memory at
 * start, exactly as the loaders would cache them, in chunks of `chunk` ids.
 */
async function preloadMemoryStore(db: PrismaClient, stats: CacheStats, namespace: string, chunk = 5000): Promise<CacheStore> {
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
