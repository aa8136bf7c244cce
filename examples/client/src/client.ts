/**
 * A tiny typed GraphQL client on `fetch`: give it a document made with the
 * generated `graphql()` function and the result and variables are typed.
 *
 *   const api = createClient({ url: 'http://127.0.0.1:4000/graphql' });
 *   const { signUp } = await api.request(SignUpMutation, { input });
 *   const me = api.withToken(signUp.token);
 *   const { me: user } = await me.request(MyCartQuery);
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';

/** The response carried GraphQL errors; `code` is the first error's `extensions.code`. */
export class GraphQLRequestError extends Error {
  override name = 'GraphQLRequestError';
  /** A stable code such as UNAUTHENTICATED, BAD_USER_INPUT or OUT_OF_STOCK, when the server gave one. */
  readonly code: string | undefined;
  readonly errors: readonly GraphQLFormattedError[];
  /** The HTTP status of the response. */
  readonly status: number;

  constructor(errors: readonly GraphQLFormattedError[], status: number) {
    const first = errors[0];
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
    const message = errors.map((error) => error.message).join('; ') || `GraphQL request failed with HTTP ${status}`;
    super(code ? `${code}: ${message}` : message);
    this.code = code;
    this.errors = errors;
    this.status = status;
  }
}

/** Variables are optional when the operation has none or all of them are optional. */
type VariablesArgs<TVariables> = {} extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

export interface Client {
  /** Runs one operation; resolves with its `data` or throws `GraphQLRequestError`. */
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...variables: VariablesArgs<TVariables>): Promise<TResult>;
  /** The same client, signed in with another bearer token. */
  withToken(token: string): Client;
}

export function createClient({ url, token }: ClientOptions): Client {
  return {
    async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...[variables]: VariablesArgs<TVariables>) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
      });

      let body: FormattedExecutionResult<TResult>;
      try {
        body = (await response.json()) as FormattedExecutionResult<TResult>;
      } catch {
        throw new GraphQLRequestError([], response.status);
      }
      if (body.errors?.length) throw new GraphQLRequestError(body.errors, response.status);
      if (!response.ok || body.data == null) throw new GraphQLRequestError([], response.status);
      return body.data;
    },
    withToken(newToken: string) {
      return createClient({ url, token: newToken });
    },
  };
}
