/**
 * Query cost, computed with graphql-query-complexity before anything runs,
 * with the variables of the request: every object returned costs 1, scalars
 * cost nothing, and a list multiplies the cost of what it holds by its size:
 * `first` or `last` for a connection (default 20, capped at the page size), the number
 * of `ids` for `nodes`, and a declared estimate for the other lists.
 */
import type { ApolloServerPlugin } from '@apollo/server';
// `graphql/index.js`, not `graphql`: the CommonJS build that Apollo Server and graphql-query-complexity
// load, under every loader (vitest resolves a bare `graphql` to the ESM build, a second copy whose
// `isObjectType` refuses the schema's types).
import { GraphQLError, getNamedType, getNullableType, isLeafType, isListType, isObjectType, type DocumentNode, type GraphQLSchema } from 'graphql/index.js';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { LIMITS } from '../graphql/validate.js';

/** Lists without a size argument, and what one is assumed to hold. */
export const LIST_SIZES: Record<string, number> = {
  // A connection's `first` already multiplies its edges.
  'ProductConnection.edges': 1,
  'OrderConnection.edges': 1,
  // Carts and orders are usually small; the cap on a cart is far above this (LIMITS.cartLines).
  'Cart.items': 20,
  'Order.items': 20,
  // `nodes(ids)` is sized by its argument; this is only its fallback.
  'Query.nodes': LIMITS.pageSize,
};

/** The connection fields sized by `first`, or `last` (default 20, at most LIMITS.pageSize). */
const DEFAULT_PAGE = 20;

/** Every list field of the schema must have a size rule here: a new list without one fails at start. */
export function checkListSizes(schema: GraphQLSchema): void {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const sized = field.args.some((a) => a.name === 'first' || a.name === 'ids');
      if (isListType(getNullableType(field.type)) && !sized && !(`${type.name}.${field.name}` in LIST_SIZES)) missing.push(`${type.name}.${field.name}`);
    }
  }
  if (missing.length) throw new Error(`no cost size for the list fields ${missing.join(', ')}: add them to LIST_SIZES in src/security/cost.ts`);
}

const clampPage = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), 1), LIMITS.pageSize) : DEFAULT_PAGE);

/** graphql-query-complexity estimator: 0 for scalars and introspection; otherwise 1 plus the children, times the list's size. */
export const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  // Introspection reads the schema, not data (and production refuses it altogether).
  if (isLeafType(getNamedType(field.type)) || field.name.startsWith('__')) return 0;
  let size = 1;
  // A page from the end (`last`) costs what one from the start does; both at once are refused by the resolver.
  if (field.args.some((a) => a.name === 'first')) size = clampPage(args.first ?? args.last);
  else if (Array.isArray(args.ids)) size = Math.min(args.ids.length, LIMITS.pageSize);
  else if (isListType(getNullableType(field.type))) size = LIST_SIZES[`${type.name}.${field.name}`] ?? DEFAULT_PAGE;
  return size * (1 + childComplexity);
};

/**
 * Refuses (400, GRAPHQL_VALIDATION_FAILED) an operation whose cost, computed with its variables, is
 * over `maxCost` (QUERY_MAX_COST), before any resolver runs; checks at start that every list has a size rule.
 */
export function costLimitPlugin(maxCost: number): ApolloServerPlugin<object> {
  // Apollo Server parses and validates a document once and hands every request of the same text
  // the same DocumentNode (its document store): the cost of a document with given variables is
  // computed once, then looked up (a bounded map per document, emptied when full).
  const costs = new WeakMap<DocumentNode, Map<string, number | GraphQLError>>();
  const costOf = (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined) => {
    const key = `${operationName ?? ''}\0${JSON.stringify(variables, sizesOnly)}`;
    let known = costs.get(document);
    if (!known) costs.set(document, (known = new Map()));
    const remembered = known.get(key);
    if (remembered !== undefined) return remembered;
    const cost = computeCost(schema, document, variables, operationName);
    // Never remembered: "bad variables" (null). The key blanks strings, so a bad enum value and a
    // good one share it, and the good one must still be priced.
    if (cost === null) return cost;
    if (known.size >= COSTS_PER_DOCUMENT) known.clear();
    known.set(key, cost);
    return cost;
  };
  return {
    async serverWillStart({ schema }) {
      checkListSizes(schema);
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName }) {
          const cost = costOf(schema, document, request.variables ?? {}, operationName ?? undefined);
          if (cost instanceof GraphQLError) throw cost;
          if (cost !== null && cost > maxCost) {
            throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${maxCost}: ask for fewer items per page (first or last) or fewer nested lists`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost, maxCost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * The variables as far as cost goes, for the key of a remembered cost: every string is the same (the
 * estimator reads numbers, booleans of `@include`/`@skip` and list lengths, never a string's
 * content), so requests that differ only in ids or text share one entry. An estimator that reads a
 * string must change this.
 */
const sizesOnly = (_key: string, value: unknown) => (typeof value === 'string' ? '' : value);

/** Variable sets whose cost is remembered per document. */
const COSTS_PER_DOCUMENT = 256;

/** The cost of an operation with its variables; the error to throw when it expands too far; null when the variables are bad (execution refuses them with GraphQL's own message). */
function computeCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | undefined,
): number | GraphQLError | null {
  try {
    return getComplexity({ schema, query: document, variables, ...(operationName ? { operationName } : {}), estimators: [estimator], maxQueryNodes: 5000 });
  } catch (error) {
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) {
      return new GraphQLError('The query expands to too many fields (fragments spread too often)', {
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
      });
    }
    return null;
  }
}
