/**
 * Query limits, all checked before a resolver runs (so a refused document
 * costs no database query and no Redis round trip):
 *
 * - tokens: graphql-js's own parser stops at QUERY_MAX_TOKENS (Apollo's
 *   `parseOptions.maxTokens`), before building any AST beyond the limit;
 * - depth, aliases, directives: GraphQL Armor's validation rules;
 * - cost: src/security/cost.ts, with the request's variables;
 * - field suggestions ("Did you mean ...?"): removed in production, where
 *   introspection is off too, so that they cannot map the schema.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
// The CommonJS build, as Apollo and Armor load it (see src/security/cost.ts).
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql/index.js';
import type { QueryLimits } from '../config.js';
import { costLimitPlugin } from './cost.js';

/** Armor prefixes its messages with "Syntax Error: "; these are validation errors, reported as such. */
function report(context: ValidationContext | null, error: GraphQLError) {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));
}

/** Removes GraphQL's "Did you mean ...?" sentences from every error message. */
const hideSuggestions: ApolloServerPlugin<object> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors }) {
        for (const error of errors) {
          if (error.message.includes('Did you mean')) error.message = error.message.replace(/\s*Did you mean [^?]*\?/g, '');
        }
      },
    };
  },
};

/**
 * Refuses an operation whose type the schema has no root for (a `subscription` here): graphql-js
 * validates such a document and only execution fails, with an error Apollo reports as an internal
 * one (HTTP 200, INTERNAL_SERVER_ERROR, logged); refused here it is GRAPHQL_VALIDATION_FAILED, 400.
 */
export const knownOperationTypes: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const root = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[node.operation];
    if (!root) context.reportError(new GraphQLError(`This API has no ${node.operation}s: send a query or a mutation`, { nodes: [node] }));
  },
});

/** Apollo options enforcing `limits` (QUERY_MAX_*): parse options, validation rules, plugins, no batching. */
export function queryLimits(limits: QueryLimits, { production }: { production: boolean }) {
  const reject = { exposeLimits: true, propagateOnRejection: false, onReject: [report] };
  const armor = new ApolloArmor({
    // Introspection (Sandbox, GraphiQL, codegen) is deep by nature; it is off in production anyway.
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: !production, ...reject },
    maxAliases: { n: limits.maxAliases, ...reject },
    maxDirectives: { n: limits.maxDirectives, ...reject },
    // Tokens are counted by graphql-js's parser itself (parseOptions below): one parse, not two.
    maxTokens: { enabled: false },
    // Cost multiplies by page size with the request's variables: src/security/cost.ts.
    costLimit: { enabled: false },
    // Armor's version leaves a dangling "?" behind; hideSuggestions below removes the whole sentence.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [knownOperationTypes, ...(armor.validationRules as ValidationRule[])],
    plugins: [...(armor.plugins as ApolloServerPlugin<object>[]), costLimitPlugin(limits.maxCost), ...(production ? [hideSuggestions] : [])],
    allowBatchedHttpRequests: false,
  };
}
