/**
 * The per-request DataLoaders. Cached entities read through the cache
 * (one MGET per batch, one query for the misses); orders, which are not
 * cached, are batched straight from the database.
 */
import DataLoader from 'dataloader';
import type { CommittedChange, EntityId } from 'prisma-write-through';
import type { CartRecord, OrderRecord, ProductRecord, UserRecord } from '../db/records.js';
import type { Services } from '../services.js';

export interface Loaders {
  user: DataLoader<EntityId, UserRecord | null>;
  product: DataLoader<EntityId, ProductRecord | null>;
  cart: DataLoader<EntityId, CartRecord | null>;
  order: DataLoader<number, OrderRecord | null>;
}

/** A request's loaders: the cache's (`Services.cachedLoaders`) and one for orders, which are not cached. */
export function createLoaders({ db, cachedLoaders }: Services): Loaders {
  const { User, Product, Cart } = cachedLoaders();
  return {
    user: User,
    product: Product,
    cart: Cart,
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
