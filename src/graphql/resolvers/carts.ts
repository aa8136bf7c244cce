import type { Resolvers } from '../../generated/graphql.js';
import type { CartRecord, UserRecord } from '../../db/records.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { requireSelfOrAdmin, requireViewer, type GraphQLContext } from '../context.js';
import { ErrorCode, SafeError, notFound, unauthenticated, units } from '../errors.js';
import { fromGlobalId, toGlobalId } from '../ids.js';
import { isForeignKeyViolation } from '../prisma-errors.js';
import { LIMITS, int } from '../validate.js';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** The cart of a user who has never had one: empty, version 0. */
function emptyCart(userId: number): CartRecord {
  return { userId, version: 0, updatedAt: new Date(0).toISOString(), items: [] };
}

/** A user's cart, for that user or an admin; null if there is no such user. */
export async function findVisibleCart(ctx: GraphQLContext, userId: number): Promise<CartRecord | null> {
  await requireSelfOrAdmin(ctx, userId);
  const cart = await ctx.loaders.cart.load(userId);
  if (cart) return cart;
  return (await ctx.loaders.user.load(userId)) ? emptyCart(userId) : null;
}

/**
 * Locks the user's cart row for the rest of the transaction (an upsert, which
 * also creates a missing cart), so that changes to one cart and checkouts of
 * it run one after the other and their checks cannot race. Every writer of a
 * cart takes this lock first, before any product row: one global lock order
 * (carts, then products), which the write-through keeps too when a product
 * delete reaches carts. UNAUTHENTICATED when the user no longer exists (a
 * token outliving its account).
 */
export async function lockCart(tx: Tx, userId: number): Promise<void> {
  try {
    await tx.cart.upsert({ where: { userId }, create: { userId }, update: {}, select: { userId: true } });
  } catch (error) {
    // The cart's only foreign key is its user.
    if (isForeignKeyViolation(error)) throw unauthenticated();
    throw error;
  }
}

/** Runs a change to the viewer's cart in one transaction, the cart locked first (see `lockCart`). */
async function changeCart(ctx: GraphQLContext, viewer: UserRecord, change: (tx: Tx, userId: number) => Promise<void>) {
  await ctx.services.db.$transaction(async (tx) => {
    await lockCart(tx, viewer.id);
    await change(tx, viewer.id);
  });
  // The commit primed this request's loaders with the cart as it committed.
  return (await ctx.loaders.cart.load(viewer.id)) ?? emptyCart(viewer.id);
}

/** Checks a wanted quantity against the limit and the stock, inside the transaction. */
async function checkQuantity(tx: Tx, productGlobalId: string, productId: number, quantity: number) {
  if (quantity > LIMITS.cartQuantity) {
    throw new SafeError(ErrorCode.BAD_USER_INPUT, `A cart may hold at most ${LIMITS.cartQuantity} units of one product, this would make ${quantity}`);
  }
  const product = await tx.product.findUnique({ where: { id: productId }, select: { sku: true, stock: true } });
  if (!product) throw notFound(`Product ${productGlobalId} does not exist`);
  if (quantity > product.stock) {
    throw new SafeError(ErrorCode.OUT_OF_STOCK, `Only ${units(product.stock)} of ${product.sku} in stock, ${quantity} wanted`, {
      productId: productGlobalId,
      available: product.stock,
    });
  }
}

const notInCart = (productGlobalId: string) => notFound(`Product ${productGlobalId} is not in your cart`);

export const cartResolvers: Resolvers = {
  User: {
    cart: async (user, _, ctx) => (await findVisibleCart(ctx, user.id)) ?? emptyCart(user.id),
  },
  Cart: {
    id: (cart) => toGlobalId('Cart', cart.userId),
    // Items whose product is gone are not shown (the delete also removes them from the cart).
    async items(cart, _, ctx) {
      const products = await ctx.loaders.product.loadMany(cart.items.map((i) => i.productId));
      return cart.items.filter((_, i) => products[i] && !(products[i] instanceof Error));
    },
    itemCount: (cart) => cart.items.reduce((sum, item) => sum + item.quantity, 0),
    async totalCents(cart, _, ctx) {
      const products = await ctx.loaders.product.loadMany(cart.items.map((i) => i.productId));
      return cart.items.reduce((sum, item, i) => {
        const product = products[i];
        return product && !(product instanceof Error) ? sum + item.quantity * product.priceCents : sum;
      }, 0);
    },
  },
  CartItem: {
    product: async (item, _, ctx) => (await ctx.loaders.product.load(item.productId))!,
    subtotalCents: async (item, _, ctx) => item.quantity * ((await ctx.loaders.product.load(item.productId))?.priceCents ?? 0),
  },
  Mutation: {
    async addToCart(_, { input }, ctx) {
      const viewer = await requireViewer(ctx);
      const productId = fromGlobalId(input.productId, 'Product', 'productId');
      const quantity = int('quantity', input.quantity ?? 1, 1, LIMITS.cartQuantity);
      try {
        return await changeCart(ctx, viewer, async (tx, cartId) => {
          const key = { cartId_productId: { cartId, productId } };
          const existing = await tx.cartItem.findUnique({ where: key, select: { quantity: true } });
          if (!existing && (await tx.cartItem.count({ where: { cartId } })) >= LIMITS.cartLines) {
            throw new SafeError(ErrorCode.BAD_USER_INPUT, `A cart may hold at most ${LIMITS.cartLines} different products`);
          }
          await checkQuantity(tx, input.productId, productId, (existing?.quantity ?? 0) + quantity);
          await tx.cartItem.upsert({
            where: key,
            create: { cartId, productId, quantity },
            update: { quantity: { increment: quantity } },
            select: { cartId: true },
          });
        });
      } catch (error) {
        // The product was deleted between the check and the insert.
        if (isForeignKeyViolation(error)) throw notFound(`Product ${input.productId} does not exist`);
        throw error;
      }
    },

    async setCartItemQuantity(_, { input }, ctx) {
      const viewer = await requireViewer(ctx);
      const productId = fromGlobalId(input.productId, 'Product', 'productId');
      const quantity = int('quantity', input.quantity, 1, LIMITS.cartQuantity);
      return changeCart(ctx, viewer, async (tx, cartId) => {
        const key = { cartId_productId: { cartId, productId } };
        if (!(await tx.cartItem.findUnique({ where: key, select: { quantity: true } }))) throw notInCart(input.productId);
        await checkQuantity(tx, input.productId, productId, quantity);
        await tx.cartItem.update({ where: key, data: { quantity }, select: { cartId: true } });
      });
    },

    async removeFromCart(_, { productId: globalId }, ctx) {
      const viewer = await requireViewer(ctx);
      const productId = fromGlobalId(globalId, 'Product', 'productId');
      return changeCart(ctx, viewer, async (tx, cartId) => {
        const { count } = await tx.cartItem.deleteMany({ where: { cartId, productId } });
        if (count === 0) throw notInCart(globalId);
      });
    },
  },
};
