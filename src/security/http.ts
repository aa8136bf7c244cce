/**
 * The HTTP edge of /graphql: requests that never reach GraphQL (a body too
 * large, not JSON, not a JSON object) get a GraphQL-shaped JSON error with
 * the right status, never Express's HTML page (which shows a stack trace
 * outside production), and the server's own failures are masked and logged.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { redactSecrets } from './redact.js';

const errorBody = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

/** After the JSON parser: a POST whose body it did not parse was not `application/json`. */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && req.body === undefined) {
    res.status(415).json(errorBody('Send GraphQL requests as POST with content-type: application/json', 'BAD_REQUEST'));
    return;
  }
  next();
};

export function jsonErrors({ bodyLimitBytes, log }: { bodyLimitBytes: number; log: (error: unknown) => void }): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
    if (status === 413 || type === 'entity.too.large') {
      res.status(413).json(errorBody(`The request body is larger than the limit of ${bodyLimitBytes} bytes`, 'PAYLOAD_TOO_LARGE'));
    } else if (type === 'entity.parse.failed') {
      res.status(400).json(errorBody('The request body is not valid JSON (or not a JSON object)', 'BAD_REQUEST'));
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser's other refusals (charset, encoding, aborted): its messages are safe and say why.
      const message = error instanceof Error ? redactSecrets(error.message) : 'Bad request';
      res.status(status).json(errorBody(message, 'BAD_REQUEST'));
    } else {
      log(error);
      res.status(500).json(errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
    }
  };
}
