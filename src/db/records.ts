/**
 * The shapes resolvers receive: Prisma models as the cache serves them
 * (through JSON, so dates are ISO strings) and without secrets. These are
 * the graphql-codegen mappers of the GraphQL object types.
 */
import type { Cached } from 'prisma-write-through';
import type { CartItem, Order, OrderItem, Product, Session, User, Cart } from '../generated/prisma/client.js';
import type { PageFlag } from './catalog.js';

/** A user without the password hash, with the ids of its live sessions (oldest first; see src/auth/sessions.ts). */
export type UserRecord = Cached<Omit<User, 'passwordHash'> & { sessions: Pick<Session, 'id'>[] }>;
export type ProductRecord = Cached<Product>;
export type CartRecord = Cached<Cart & { items: CartItem[] }>;
export type CartItemRecord = Cached<CartItem>;
/** Orders are not cached: resolvers get them straight from Prisma. */
export type OrderRecord = Order & { items: OrderItem[] };
export type OrderItemRecord = OrderItem;

/**
 * A page of `products` as its resolver returns it: the edges and page info of
 * the Relay connection, and `count`, which counts every product of the
 * listing (all pages) only when `totalCount` is selected, once per page.
 */
export interface ProductConnectionRecord {
  edges: { cursor: string; node: ProductRecord }[];
  /** The flags may be functions that ask PostgreSQL when selected (src/db/catalog.ts `PageFlag`). */
  pageInfo: { hasNextPage: PageFlag; hasPreviousPage: PageFlag; startCursor: string | null; endCursor: string | null };
  /** Products matching the listing's search, across all pages: one COUNT, on the first call only. */
  count(): Promise<number>;
}
