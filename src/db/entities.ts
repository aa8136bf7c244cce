/**
 * The storefront's cached entities: the only place that tells the cache core
 * (the prisma-write-through package) which models it caches, how they aggregate and how to read them.
 * The same `load` serves cache misses and the write path's read-back.
 */
import type { CachedEntity, EntityId } from 'prisma-write-through';
import type { PrismaClient } from '../generated/prisma/client.js';

/** Any client that can read: the root client or a transaction client. */
type Db = Pick<PrismaClient, 'user' | 'product' | 'cart'>;

const ids = (list: EntityId[]) => list as number[];

/** The password hash never leaves the database: not in the cache, not in resolvers. */
const userOmit = { passwordHash: true } as const;

export const cachedEntities = {
  User: {
    model: 'User',
    // A user's live sessions are part of it (src/auth/sessions.ts): a token is checked against the
    // cached user's session ids, so ending a session (deleting its row) rewrites the cached user at
    // once on every instance, and checking a token costs no query. Only the ids: a token is signed.
    members: { Session: 'userId' },
    load: (db, list) =>
      db.user.findMany({
        where: { id: { in: ids(list) } },
        omit: userOmit,
        include: { sessions: { select: { id: true }, orderBy: { id: 'asc' } } },
      }),
  },
  Product: {
    model: 'Product',
    row: {},
    load: (db, list) => db.product.findMany({ where: { id: { in: ids(list) } } }),
  },
  Cart: {
    model: 'Cart',
    idField: 'userId',
    // Delete cascades come from the schema (onDelete: Cascade): deleting a product deletes it from
    // every cart (CartItem.product), deleting a user deletes their cart (Cart.user).
    members: { CartItem: 'cartId' },
    load: (db, list) =>
      db.cart.findMany({
        where: { userId: { in: ids(list) } },
        include: { items: { orderBy: [{ addedAt: 'asc' }, { productId: 'asc' }] } },
      }),
  },
} satisfies Record<string, CachedEntity<Db, object>>;

export type CachedEntityName = keyof typeof cachedEntities;

/** The schema facts the core checks `cachedEntities` against (emitted by `prisma generate`). */
export { entityMetadata } from '../generated/entities.js';
