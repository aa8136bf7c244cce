/**
 * Refuses, before anything runs, strings that no field of this API can take:
 * any string holding the NUL character (U+0000), in the variables or inline
 * in the document. PostgreSQL's text cannot store it, so without this check
 * such a string would reach the database and fail there as an internal error.
 */
import type { ApolloServerPlugin } from '@apollo/server';
// The CommonJS build, as Apollo loads it (see src/security/cost.ts).
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql/index.js';

/** Walks any JSON value without recursion (a body may nest thousands of levels). */
function jsonHasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return true;
    } else if (Array.isArray(item)) {
      stack.push(...item);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, inner] of Object.entries(item)) {
        if (key.includes('\u0000')) return true;
        stack.push(inner);
      }
    }
  }
  return false;
}

/** Per document: Apollo Server hands every request of the same text the same DocumentNode (its document store). */
const nulInDocument = new WeakMap<DocumentNode, boolean>();

function documentHasNul(document: DocumentNode): boolean {
  let found = nulInDocument.get(document);
  if (found === undefined) nulInDocument.set(document, (found = visitForNul(document)));
  return found;
}

function visitForNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING](node) {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  return found;
}

export const refuseNulCharacters: ApolloServerPlugin<object> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        if (jsonHasNul(request.variables) || documentHasNul(document)) {
          throw new GraphQLError('Strings may not contain the NUL character (\\u0000)', {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          });
        }
      },
    };
  },
};
