import type { Resolvers } from '../../generated/graphql.js';
import type { GraphQLContext } from '../context.js';
import { badInput } from '../errors.js';
import { parseGlobalId } from '../ids.js';
import { LIMITS } from '../validate.js';
import { findVisibleCart } from './carts.js';
import { findVisibleOrder } from './orders.js';
import { findVisibleUser } from './users.js';

/** Resolves any global ID with the same access rules as the type's own query field. */
async function fetchNode(ctx: GraphQLContext, globalId: string) {
  const parsed = parseGlobalId(globalId);
  if (!parsed) return null;
  switch (parsed.type) {
    case 'User':
      return findVisibleUser(ctx, parsed.id);
    case 'Product':
      return ctx.loaders.product.load(parsed.id);
    case 'Cart':
      return findVisibleCart(ctx, parsed.id);
    case 'Order':
      return findVisibleOrder(ctx, parsed.id);
  }
}

export const nodeResolvers: Resolvers = {
  Node: {
    // Records carry no type tag: each type has a field the others lack.
    __resolveType: (node) => ('sku' in node ? 'Product' : 'email' in node ? 'User' : 'status' in node ? 'Order' : 'Cart'),
  },
  Query: {
    node: (_, { id }, ctx) => fetchNode(ctx, id),
    nodes: (_, { ids }, ctx) => {
      if (ids.length > LIMITS.pageSize) throw badInput(`ids may hold at most ${LIMITS.pageSize} IDs, got ${ids.length}`, { argument: 'ids' });
      // One promise per ID: a denied or failing ID becomes null plus an error at its index, the rest still resolve.
      return ids.map((id) => fetchNode(ctx, id)) as never;
    },
  },
};
