/**
 * The shapes resolvers receive: Prisma models as the cache serves them
 * (through JSON, so dates are ISO strings) and without secrets. These are
 * the graphql-codegen mappers of the GraphQL object types.
 */
import type { Cached } from 'prisma-write-through';
import type { CartItem, Order, OrderItem, Product, User, Cart } from '../generated/prisma/client.js';

export type UserRecord = Cached<Omit<User, 'passwordHash'>>;
export type ProductRecord = Cached<Product>;
export type CartRecord = Cached<Cart & { items: CartItem[] }>;
export type CartItemRecord = Cached<CartItem>;
/** Orders are not cached: resolvers get them straight from Prisma. */
export type OrderRecord = Order & { items: OrderItem[] };
export type OrderItemRecord = OrderItem;
