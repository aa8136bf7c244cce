/**
 * The per-request DataLoaders. Cached entities read through the cache
 * (one MGET per batch, one query for the misses); orders, which are not
 * cached, are batched straight from the database.
 */
import DataLoader from 'dataloader';
import { createEntityLoader, toError, type CommittedChange, type EntityId } from 'prisma-write-through';
// Batching off is the benchmark's N+1 baseline (API_MODE=naive), a switch of the testing entry.
import { createEntityLoader as createUnbatchedLoader } from 'prisma-write-through/testing';
import { cachedEntities, entityMetadata } from '../db/entities.js';
import type { CartRecord, OrderRecord, ProductRecord, UserRecord } from '../db/records.js';
import type { Services } from '../services.js';

export interface Loaders {
  user: DataLoader<EntityId, UserRecord | null>;
  product: DataLoader<EntityId, ProductRecord | null>;
  cart: DataLoader<EntityId, CartRecord | null>;
  order: DataLoader<number, OrderRecord | null>;
}

export function createLoaders({ db, loaderStore, batching, stats, config, log, metrics }: Services): Loaders {
  const common = {
    db,
    schema: entityMetadata,
    store: loaderStore,
    batching,
    stats,
    namespace: config.cacheNamespace,
    ttlSeconds: config.cacheTtlSeconds,
    observer: metrics.observer,
    onStoreError: (error: unknown) => log.warn({ err: toError(error).message }, 'cache unavailable, reading PostgreSQL'),
  };
  const loader = batching ? createEntityLoader : createUnbatchedLoader;
  return {
    user: loader({ ...common, name: 'User', entity: cachedEntities.User }) as Loaders['user'],
    product: loader({ ...common, name: 'Product', entity: cachedEntities.Product }) as Loaders['product'],
    cart: loader({ ...common, name: 'Cart', entity: cachedEntities.Cart }) as Loaders['cart'],
    order: new DataLoader(async (ids: readonly number[]) => {
      const rows = await db.order.findMany({ where: { id: { in: [...ids] } }, include: { items: { orderBy: { id: 'asc' } } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

/**
 * Makes a request's loaders show exactly what a transaction of that request
 * committed: each changed entity is primed with its committed row (through
 * JSON, the shape of a cache hit), or with null once deleted, or forgotten when
 * the write path did not read it back. Loaders of uncached data (orders) cannot
 * know what changed: they forget everything. Called by the write-through's
 * commit listener (see `createContext`), never resolver by resolver.
 */
export function applyCommitted(loaders: Loaders, changes: readonly CommittedChange[]): void {
  const cached: Record<string, DataLoader<EntityId, unknown>> = { User: loaders.user, Product: loaders.product, Cart: loaders.cart };
  for (const { entity, id, row } of changes) {
    const loader = cached[entity];
    if (!loader) continue;
    loader.clear(id);
    if (row !== undefined) loader.prime(id, row === null ? null : JSON.parse(JSON.stringify(row)));
  }
  loaders.order.clearAll();
}
