/**
 * Structured JSON logs (pino). `LOG_LEVEL` sets the level; tests default to silent.
 *
 * Secrets never reach a log line: fields named like one are censored
 * (`password`, `passwordHash`, `token`, `authorization`, `jwtSecret`, at any
 * of the first three levels), and every string logged, error messages and
 * stacks included, is scrubbed of password hashes, bearer tokens, URL
 * credentials and the JWT secret (src/security/redact.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, stdSerializers, type DestinationStream, type LoggerOptions } from 'pino';
import { redactSecrets } from './security/redact.js';

const SECRET_FIELDS = ['password', 'passwordHash', 'token', 'authorization', 'jwtSecret'];

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth + 1)]));
}

/**
 * The request being served, if any: every log line written while serving it
 * carries its `requestId` (set by the HTTP layer, echoed in `x-request-id`).
 */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    mixin: () => requestContext.getStore() ?? {},
    redact: {
      paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`), ...SECRET_FIELDS.map((f) => `*.*.${f}`), 'req.headers.authorization'],
      censor: '[redacted]',
    },
    // pino's serialized error has a prototype of its own: copy it to a plain object to scrub every field.
    // Anything logged as `err` that is not an Error (a message string, a Redis reply) is kept as it is,
    // never spread into an object of characters.
    serializers: {
      err: (error: unknown) => (error instanceof Error ? scrub({ ...stdSerializers.err(error) }) : scrub(error)) as ReturnType<typeof stdSerializers.err>,
    },
    formatters: { log: (object) => scrub(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)) as Parameters<typeof method>);
      },
    },
  };
}

/** A logger with the API's options writing to `destination` (tests capture logs this way). */
export function createLogger(level: string, destination?: DestinationStream) {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export const logger = createLogger(process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' || process.env.VITEST ? 'silent' : 'info'));
export type Logger = typeof logger;
