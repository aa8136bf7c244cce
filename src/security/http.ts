/**
 * The HTTP edge of /graphql: requests that never reach GraphQL (a body too
 * large, not JSON, not a JSON object) get a GraphQL-shaped JSON error with
 * the right status, never Express's HTML page (which shows a stack trace
 * outside production), and the server's own failures are masked and logged.
 */
import type { ServerOptions } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { HttpTimeouts } from '../config.js';
import { ErrorCode } from '../graphql/errors.js';
import { redactSecrets } from './redact.js';

/**
 * Options for `http.createServer` that hold slow clients (slow-loris) to the
 * configured timeouts (HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS,
 * KEEP_ALIVE_TIMEOUT_MS in src/config.ts). Node answers a request past
 * `headersTimeout` or `requestTimeout` with 408 and closes its connection,
 * but only looks for them every `connectionsCheckingInterval` (30 s by
 * default: a client dribbling its headers held on for 10 + up to 30 s). Here
 * it looks every tenth of the shorter timeout, at most a second apart and at
 * least 50 ms, so each fires at most that late. `keepAliveTimeout` is a timer
 * on each socket (Node adds a second of grace, so the client, told the
 * timeout in `Keep-Alive: timeout=`, closes first).
 */
export function httpServerOptions({ headersMs, requestMs, keepAliveMs }: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: headersMs,
    requestTimeout: requestMs,
    keepAliveTimeout: keepAliveMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersMs, requestMs) / 10))),
  };
}

const errorBody = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });

/** After the JSON parser: a POST whose body it did not parse was not `application/json`. */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && req.body === undefined) {
    res.status(415).json(errorBody('Send GraphQL requests as POST with content-type: application/json', ErrorCode.BAD_REQUEST));
    return;
  }
  next();
};

/**
 * Express's error handler for /graphql: 413 PAYLOAD_TOO_LARGE, 400 BAD_REQUEST
 * (unparsable JSON, body-parser's other refusals with their own message), and
 * anything else logged with `log` and answered 500 INTERNAL_SERVER_ERROR.
 */
export function jsonErrors({ bodyLimitBytes, log }: { bodyLimitBytes: number; log: (error: unknown) => void }): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
    if (status === 413 || type === 'entity.too.large') {
      res.status(413).json(errorBody(`The request body is larger than the limit of ${bodyLimitBytes} bytes`, ErrorCode.PAYLOAD_TOO_LARGE));
    } else if (type === 'entity.parse.failed') {
      res.status(400).json(errorBody('The request body is not valid JSON (or not a JSON object)', ErrorCode.BAD_REQUEST));
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser's other refusals (charset, encoding, aborted): its messages are safe and say why.
      const message = error instanceof Error ? redactSecrets(error.message) : 'Bad request';
      res.status(status).json(errorBody(message, ErrorCode.BAD_REQUEST));
    } else {
      log(error);
      res.status(500).json(errorBody('Internal server error', ErrorCode.INTERNAL_SERVER_ERROR));
    }
  };
}
