/**
 * Cross-origin requests from browsers (CORS), with `@fastify/cors`, on
 * /graphql only (registered in the /graphql plugin of src/server/http.ts).
 *
 * - An allowed origin (CORS_ORIGINS, matched exactly) gets
 *   `Access-Control-Allow-Origin: <its origin>` and `Vary: Origin`; any other
 *   origin gets no Access-Control-Allow-* header at all, so its page cannot
 *   read the answer (the request itself is still served: CORS binds browsers,
 *   and non-browser clients send no `Origin`).
 * - A preflight (`OPTIONS`) answers 204 with the methods (GET, POST) and the
 *   request headers the API reads, cached by the browser for
 *   CORS_MAX_AGE_SECONDS (`Access-Control-Max-Age`).
 * - No credentials mode: the API authenticates with `Authorization: Bearer`,
 *   which a page sends explicitly, never with cookies, so
 *   `Access-Control-Allow-Credentials` is never sent.
 *
 * Apollo's CSRF prevention stays on behind it: a JSON POST passes it (its
 * content type already forces a preflight), and a GET must carry
 * `apollo-require-preflight` (or `x-apollo-operation-name`).
 */
import type { FastifyCorsOptions } from '@fastify/cors';
import type { onSendHookHandler } from 'fastify';
import type { CorsConfig } from '../config.js';

/** The request headers a page may send: the ones the API reads (CSRF prevention's two included). */
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
  // Apollo Client sends these when given a `name` and `version` (client awareness).
  'apollographql-client-name',
  'apollographql-client-version',
];

/** The response headers a page may read beyond the CORS-safelisted ones: the request id (for support) and when to retry a 429. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after'];

/**
 * `@fastify/cors`'s options for /graphql, per `config` (see the top of this file). Lists are
 * sent comma-separated without spaces, and every OPTIONS is a preflight answered 204 (no
 * `strictPreflight`'s 400 in text/plain), as the `cors` package answered them before.
 */
export function corsOptions(config: CorsConfig): FastifyCorsOptions {
  return {
    // A list is matched exactly (string equality with the request's Origin); '*' answers `*` to every origin.
    origin: config.origins,
    methods: 'GET,POST',
    allowedHeaders: [...new Set([...CORS_ALLOWED_HEADERS, ...config.extraHeaders])].join(','),
    exposedHeaders: CORS_EXPOSED_HEADERS.join(','),
    credentials: false,
    maxAge: config.maxAgeSeconds,
    optionsSuccessStatus: 204,
    preflightContinue: false,
    strictPreflight: false,
  };
}

/** The CORS headers that only mean something next to an `Access-Control-Allow-Origin`. */
const ORIGIN_BOUND = ['access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age', 'access-control-expose-headers'];

/**
 * An onSend hook for the routes under CORS: an answer to an origin that is not allowed carries no
 * Access-Control-* header at all (@fastify/cors, given a list of origins, leaves out only
 * `Access-Control-Allow-Origin` and still tells the page which methods and headers others may
 * use). The browser refuses the page either way; this tells it nothing.
 */
export const withoutCorsForRefusedOrigins: onSendHookHandler = (_request, reply, payload, done) => {
  if (!reply.hasHeader('access-control-allow-origin')) for (const header of ORIGIN_BOUND) reply.removeHeader(header);
  done(null, payload);
};
