/** All resolvers, one file per domain, merged by type. */
import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import type { Resolvers } from '../../generated/graphql.js';
import { inRequest, type GraphQLContext } from '../context.js';
import { cartResolvers } from './carts.js';
import { nodeResolvers } from './node.js';
import { orderResolvers } from './orders.js';
import { productResolvers } from './products.js';
import { sessionResolvers } from './sessions.js';
import { userResolvers } from './users.js';

const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO 8601 instant in UTC.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    const date = new Date(String(value));
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return date.toISOString();
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return new Date(ast.value).toISOString();
  },
});

function mergeResolvers(...parts: Resolvers[]): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) merged[type] = { ...merged[type], ...(fields as object) };
  }
  return merged as Resolvers;
}

/**
 * Every mutation runs under its request's commit listener: whatever it
 * commits, directly or through cascades and aggregates, is what the rest of
 * the request reads (the viewer and every loader), in one place.
 */
function seeingOwnWrites(all: Resolvers): Resolvers {
  const mutations = Object.entries(all.Mutation ?? {}).map(([field, resolve]) => [
    field,
    (parent: unknown, args: unknown, ctx: GraphQLContext, info: unknown) => inRequest(ctx, () => (resolve as Function)(parent, args, ctx, info)),
  ]);
  return { ...all, Mutation: Object.fromEntries(mutations) } as Resolvers;
}

export const resolvers: Resolvers = seeingOwnWrites(
  mergeResolvers({ DateTime, SafeInt: GraphQLSafeInt }, nodeResolvers, userResolvers, sessionResolvers, productResolvers, cartResolvers, orderResolvers),
);
