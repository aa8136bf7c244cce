import type { Resolvers } from '../../generated/graphql.js';
import { requireAdmin, type GraphQLContext } from '../context.js';
import { ErrorCode, SafeError, notFound, units } from '../errors.js';
import { fromGlobalId, toGlobalId } from '../ids.js';
import { countCatalog, findCatalogPage, sortKeyType } from '../../db/catalog.js';
import { fromListingCursor, pageWindow, toListingCursor } from '../pagination.js';
import { isRecordNotFound, isUniqueViolation } from '../prisma-errors.js';
import { LIMITS, int, searchWords, sku, someFields, text } from '../validate.js';

const skuTaken = (value: string) => new SafeError(ErrorCode.CONFLICT, `A product with sku ${value} already exists`);
const productNotFound = (id: number) => notFound(`Product ${toGlobalId('Product', id)} does not exist`);

/**
 * A product a write of this request just committed, in the loader's shape:
 * the commit primed the request's loader with that row, so this reads nothing.
 */
const committed = async (ctx: GraphQLContext, product: { id: number }) => (await ctx.loaders.product.load(product.id))!;

export const productResolvers: Resolvers = {
  Query: {
    product: (_, { id }, ctx) => ctx.loaders.product.load(fromGlobalId(id, 'Product')),
    async products(_, { search, sort: sortArg, first, after, last, before }, ctx) {
      // Every argument is checked before any query runs. An explicit `sort: null` is the default too.
      const sort = sortArg ?? 'CREATED';
      const words = searchWords(search);
      // The search's identity in cursors: its words in any order, spacing, repetition or case (ILIKE ignores case).
      const filter = [...new Set(words.map((word) => word.toLowerCase()))].sort().join(' ');
      const listing = { sort, filter, keyType: sortKeyType(sort) };
      const { size, fromEnd } = pageWindow(first, last);
      const request = {
        words,
        sort,
        size,
        fromEnd,
        after: after ? fromListingCursor(after, 'after', listing) : undefined,
        before: before ? fromListingCursor(before, 'before', listing) : undefined,
      };
      // PostgreSQL gives the page's ids (and sort keys); the products themselves come through the cache.
      const page = await findCatalogPage(ctx.services.db, request);
      const nodes = await ctx.loaders.product.loadMany(page.rows.map((row) => row.id));
      // A product deleted since the page was read is left out.
      const edges = page.rows.flatMap((row, i) => {
        const node = nodes[i];
        return node && !(node instanceof Error) ? [{ cursor: toListingCursor({ ...listing, ...row }), node }] : [];
      });
      let total: Promise<number> | undefined;
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: page.hasPreviousPage,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        // Counted only if totalCount is selected, once however often.
        count: () => (total ??= countCatalog(ctx.services.db, words)),
      };
    },
  },
  ProductConnection: {
    totalCount: (connection) => connection.count(),
  },
  Product: {
    id: (product) => toGlobalId('Product', product.id),
  },
  Mutation: {
    async createProduct(_, { input }, ctx) {
      await requireAdmin(ctx);
      const data = {
        sku: sku(input.sku),
        name: text('name', input.name, { max: LIMITS.name }),
        description: text('description', input.description ?? '', { min: 0, max: LIMITS.description }),
        priceCents: int('priceCents', input.priceCents, 0, LIMITS.priceCents),
        stock: int('stock', input.stock ?? 0, 0, LIMITS.stock),
      };
      try {
        return await committed(ctx, await ctx.services.db.product.create({ data, select: { id: true } }));
      } catch (error) {
        if (isUniqueViolation(error)) throw skuTaken(data.sku);
        throw error;
      }
    },

    async updateProduct(_, { input: { id: globalId, ...input } }, ctx) {
      await requireAdmin(ctx);
      const id = fromGlobalId(globalId, 'Product');
      const changes = someFields(input);
      const data = {
        ...(changes.sku !== undefined && { sku: sku(changes.sku) }),
        ...(changes.name !== undefined && { name: text('name', changes.name, { max: LIMITS.name }) }),
        ...(changes.description !== undefined && { description: text('description', changes.description, { min: 0, max: LIMITS.description }) }),
        ...(changes.priceCents !== undefined && { priceCents: int('priceCents', changes.priceCents, 0, LIMITS.priceCents) }),
      };
      try {
        return await committed(ctx, await ctx.services.db.product.update({ where: { id }, data, select: { id: true } }));
      } catch (error) {
        if (isRecordNotFound(error)) throw productNotFound(id);
        if (isUniqueViolation(error)) throw skuTaken(data.sku ?? '');
        throw error;
      }
    },

    async deleteProduct(_, { id: globalId }, ctx) {
      await requireAdmin(ctx);
      const id = fromGlobalId(globalId, 'Product');
      try {
        // Cart items go with it (ON DELETE CASCADE); the write-through refreshes those carts.
        await ctx.services.db.product.delete({ where: { id }, select: { id: true } });
      } catch (error) {
        if (isRecordNotFound(error)) throw productNotFound(id);
        throw error;
      }
      return { deletedProductId: globalId };
    },

    async adjustStock(_, { input }, ctx) {
      await requireAdmin(ctx);
      const id = fromGlobalId(input.productId, 'Product', 'productId');
      const delta = int('delta', input.delta, -LIMITS.stock, LIMITS.stock);
      if (delta === 0) throw new SafeError(ErrorCode.BAD_USER_INPUT, 'delta must not be 0');
      // The condition and the change are one statement: no read-modify-write race.
      const [product] = await ctx.services.db.product.updateManyAndReturn({
        where: { id, stock: delta < 0 ? { gte: -delta } : { lte: LIMITS.stock - delta } },
        data: { stock: { increment: delta } },
      });
      if (product) return committed(ctx, product);
      // Nothing changed: say why.
      const current = await ctx.loaders.product.clear(id).load(id);
      if (!current) throw productNotFound(id);
      if (delta > 0) throw new SafeError(ErrorCode.BAD_USER_INPUT, `stock may not exceed ${LIMITS.stock}`);
      throw new SafeError(ErrorCode.OUT_OF_STOCK, `Cannot remove ${units(-delta)} of ${current.sku}: only ${current.stock} in stock`, {
        productId: input.productId,
        available: current.stock,
      });
    },
  },
};
