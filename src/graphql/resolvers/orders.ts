import type { UserRecord } from '../../db/records.js';
import type { Resolvers } from '../../generated/graphql.js';
import { requireSelfOrAdmin, requireViewer, type GraphQLContext } from '../context.js';
import { ErrorCode, SafeError, badInput, forbidden } from '../errors.js';
import { fromGlobalId, toGlobalId } from '../ids.js';
import { connection, pageArgs } from '../pagination.js';
import { lockCart } from './carts.js';

/** An order the viewer may see (their own, or anyone's for an admin); null if it does not exist. */
export async function findVisibleOrder(ctx: GraphQLContext, id: number) {
  const viewer = await requireViewer(ctx);
  return findOrderAs(ctx, viewer, id);
}

async function findOrderAs(ctx: GraphQLContext, viewer: UserRecord, id: number) {
  const order = await ctx.loaders.order.load(id);
  // A customer gets the same answer for someone else's order and for one that does not
  // exist: order ids are sequential, and telling them apart would let anyone count orders.
  if (viewer.role !== 'ADMIN' && order?.userId !== viewer.id) throw forbidden('You may only see your own orders');
  return order;
}

export const orderResolvers: Resolvers = {
  Query: {
    order: async (_, { id }, ctx) => findOrderAs(ctx, await requireViewer(ctx), fromGlobalId(id, 'Order')),
  },
  User: {
    async orders(user, { first, after }, ctx) {
      await requireSelfOrAdmin(ctx, user.id);
      const page = pageArgs(first, after);
      const rows = await ctx.services.db.order.findMany({
        where: { userId: user.id, ...(page.after !== undefined && { id: { lt: page.after } }) },
        orderBy: { id: 'desc' },
        take: page.size + 1,
        include: { items: { orderBy: { id: 'asc' } } },
      });
      for (const row of rows) ctx.loaders.order.prime(row.id, row);
      return connection(
        rows.map((r) => r.id),
        page.size,
        rows,
        page.after !== undefined,
      );
    },
  },
  Order: {
    id: (order) => toGlobalId('Order', order.id),
    totalCents: (order) => Number(order.totalCents),
    user: async (order, _, ctx) => (await ctx.loaders.user.load(order.userId))!,
  },
  OrderItem: {
    product: (item, _, ctx) => (item.productId === null ? null : ctx.loaders.product.load(item.productId)),
    subtotalCents: (item) => item.quantity * item.unitPriceCents,
  },
  Mutation: {
    async checkout(_, __, ctx) {
      const viewer = await requireViewer(ctx);
      const order = await ctx.services.db.$transaction(async (tx) => {
        // Lock the cart first: two checkouts of one cart run one after the other.
        await lockCart(tx, viewer.id);
        const items = await tx.cartItem.findMany({ where: { cartId: viewer.id }, orderBy: { productId: 'asc' } });
        if (items.length === 0) throw badInput('Your cart is empty');
        // Products in id order, so concurrent checkouts lock them in the same order (no deadlock).
        const lines = [];
        for (const item of items) {
          const [product] = await tx.product.updateManyAndReturn({
            where: { id: item.productId, stock: { gte: item.quantity } },
            data: { stock: { decrement: item.quantity } },
          });
          if (!product) {
            const short = await tx.product.findUnique({ where: { id: item.productId }, select: { sku: true, name: true, stock: true } });
            const productId = toGlobalId('Product', item.productId);
            throw new SafeError(
              ErrorCode.OUT_OF_STOCK,
              `Not enough stock for ${short?.sku ?? productId} (${short?.name ?? 'deleted product'}): ${item.quantity} wanted, ${short?.stock ?? 0} available`,
              { productId, sku: short?.sku ?? null, requested: item.quantity, available: short?.stock ?? 0 },
            );
          }
          lines.push({
            productId: product.id,
            productName: product.name,
            productSku: product.sku,
            quantity: item.quantity,
            unitPriceCents: product.priceCents,
          });
        }
        const totalCents = BigInt(lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0));
        const created = await tx.order.create({
          data: { userId: viewer.id, totalCents, items: { create: lines } },
          include: { items: { orderBy: { id: 'asc' } } },
        });
        await tx.cartItem.deleteMany({ where: { cartId: viewer.id } });
        return created;
      });
      return order;
    },
  },
};
