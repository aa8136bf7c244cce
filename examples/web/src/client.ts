/**
 * The urql client: POST to the API on another origin, the bearer token from the session,
 * a refused token ends the session, and (optionally) hashes instead of documents.
 */
import { Client, cacheExchange, fetchExchange, mapExchange, type CombinedError, type Exchange } from 'urql';
import { persistedExchange } from '@urql/exchange-persisted';

/** The API's GraphQL endpoint (`VITE_API_URL` at build time). */
export const API_URL = import.meta.env.VITE_API_URL || 'http://127.0.0.1:4000/graphql';

/** Send hashes only (`VITE_TRUSTED_DOCUMENTS=true`): for an API that runs trusted documents only. */
export const TRUSTED_DOCUMENTS = import.meta.env.VITE_TRUSTED_DOCUMENTS === 'true';

/** What createApiClient needs. */
export interface ApiClientOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>`; null: anonymous. */
  token: string | null;
  /** Send `{ extensions: { persistedQuery: { sha256Hash } } }` without the document's text. */
  trustedDocuments: boolean;
  /** Called when an answer refuses the token that was sent (see `endsSession`): the session is over. */
  onUnauthenticated: () => void;
}

/** The document's hash that the client preset put in `__meta__` (`persistedDocuments` in codegen.ts). */
function documentHash(document: unknown): Promise<string> {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string') throw new Error('This document has no __meta__.hash: run `npm run codegen`, and write operations with graphql() from src/gql');
  return Promise.resolve(hash);
}

/** The reasons the API gives for refusing a token (README, "Sessions"): the session is over. */
const SESSION_OVER = new Set(['TOKEN_EXPIRED', 'TOKEN_INVALID', 'SESSION_ENDED']);

/** True when the API refused the request's token: UNAUTHENTICATED with one of SESSION_OVER's reasons. */
export function endsSession(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED' && SESSION_OVER.has(String(e.extensions?.reason)));
}

/** True when any of the error's GraphQL errors has this `extensions.code`. */
export function hasCode(error: CombinedError | undefined, code: string): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === code);
}

/**
 * One client per session: a new token gets a new client, so nothing one user read stays in
 * the cache of the next. The document cache answers at once and asks the API again
 * (`cache-and-network`): what the page shows comes from the API, never only from memory.
 * Every operation is a POST (`preferGetMethod: false`): the API's CSRF prevention refuses a
 * GET without a preflight header.
 */
export function createApiClient({ url, token, trustedDocuments, onUnauthenticated }: ApiClientOptions): Client {
  const exchanges: Exchange[] = [
    mapExchange({
      onError(error) {
        // Only a refusal of the token itself ends the session (extensions.reason: TOKEN_EXPIRED,
        // TOKEN_INVALID, SESSION_ENDED); a wrong password on the log-in form is UNAUTHENTICATED too.
        if (token && endsSession(error)) onUnauthenticated();
      },
    }),
    cacheExchange,
  ];
  if (trustedDocuments) {
    exchanges.push(
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        preferGetForPersistedQueries: false,
        generateHash: (_query, document) => documentHash(document),
      }),
    );
  }
  exchanges.push(fetchExchange);
  return new Client({
    url,
    exchanges,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}
