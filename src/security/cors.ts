/**
 * Cross-origin requests from browsers (CORS), with the `cors` package, on
 * /graphql only.
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
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { CorsConfig } from '../config.js';

/** The request headers a page may send: the ones the API reads (CSRF prevention's two included). */
export const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'];

/** The response headers a page may read beyond the CORS-safelisted ones: the request id (for support) and when to retry a 429. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after'];

/** The CORS middleware for /graphql, per `config` (see the top of this file); answers preflights itself (204). */
export function corsMiddleware(config: CorsConfig): RequestHandler {
  return cors({
    // A list is matched exactly (string equality with the request's Origin); '*' answers `*` to every origin.
    origin: config.origins,
    methods: ['GET', 'POST'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: false,
    maxAge: config.maxAgeSeconds,
    optionsSuccessStatus: 204,
    preflightContinue: false,
  });
}
