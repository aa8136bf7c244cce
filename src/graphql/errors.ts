/**
 * Errors: a stable code in `extensions.code`, one thin error class marked safe
 * to show, and everything else masked.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { CacheUnavailableError, TransactionConflictError } from 'prisma-write-through';
import type { ErrorCode as SchemaErrorCode } from '../generated/graphql.js';

/**
 * Every value of `errors[].extensions.code` this API answers with: its own, and the ones
 * Apollo Server raises itself (marked so). The schema's `enum ErrorCode` lists the same values,
 * with when each happens and whether to retry (clients get them typed from codegen), and so
 * does the README's table; `test/error-codes.test.ts` checks that the three, and the codes the
 * source can produce, are one list. The `satisfies` below makes TypeScript refuse a code here
 * that the schema lacks.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  /** Redis could not take part in a write under the `fail` policy: nothing was committed. */
  CACHE_UNAVAILABLE: 'CACHE_UNAVAILABLE',
  /**
   * The change collided with concurrent changes (deadlock, serialization failure, lock or
   * transaction timeout) on every attempt the server made: nothing was changed, and
   * `extensions.retryable` is true: send the same request again.
   */
  TRANSACTION_CONFLICT: 'TRANSACTION_CONFLICT',
  /** A rate limit (logIn, signUp, email change) is used up: `extensions.retryAfterSeconds` says when to retry (HTTP 429). */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** The operation ran longer than REQUEST_TIMEOUT_MS and was answered before it finished. */
  TIMEOUT: 'TIMEOUT',
  /** The HTTP body is larger than BODY_LIMIT_BYTES (HTTP 413); nothing was run. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The HTTP request itself is malformed (not JSON, wrong method or content type, CSRF prevention, a bad persisted query); nothing was run. Apollo Server raises it too. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** A `documentId` or persisted-query hash names no trusted document (src/security/trusted-documents.ts; HTTP 400); nothing was run. */
  PERSISTED_DOCUMENT_NOT_FOUND: 'PERSISTED_DOCUMENT_NOT_FOUND',
  /** TRUSTED_DOCUMENTS is set and the `query` sent is none of its documents (HTTP 400); nothing was run. */
  TRUSTED_DOCUMENT_REQUIRED: 'TRUSTED_DOCUMENT_REQUIRED',
  /** Apollo Server: the document is not valid GraphQL, or has more tokens than QUERY_MAX_TOKENS (HTTP 400). */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** Apollo Server: the document does not fit the schema or a query limit (depth, aliases, directives, cost; introspection in production) (HTTP 400). */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** Apollo Server: `operationName` names no operation of the document, or it has several and none is named (HTTP 400). */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** Apollo Server's automatic persisted queries (without TRUSTED_DOCUMENTS): the hash is not known yet; send the query with it. */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const satisfies Record<string, SchemaErrorCode>;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error whose message and extensions are meant for the client. */
export class SafeError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'SafeError';
  }
}

/** `1 unit`, `2 units`: a quantity in an error message. */
export const units = (n: number): string => `${n} ${n === 1 ? 'unit' : 'units'}`;

export const badInput = (message: string, extensions?: Record<string, unknown>) => new SafeError(ErrorCode.BAD_USER_INPUT, message, extensions);
export const notFound = (message: string) => new SafeError(ErrorCode.NOT_FOUND, message);
/**
 * UNAUTHENTICATED: no usable token. Without arguments, for a request that sent none; with the
 * token's problem otherwise (src/graphql/context.ts, `notSignedIn`): `reason` (`extensions.reason`)
 * is `TOKEN_EXPIRED`, `TOKEN_INVALID` or `SESSION_ENDED`.
 */
export const unauthenticated = (message = 'You must be signed in: send Authorization: Bearer <token>', reason?: UnauthenticatedReason) =>
  new SafeError(ErrorCode.UNAUTHENTICATED, message, reason ? { reason } : {});

/** Why a token that was sent signs nobody in: `extensions.reason` of UNAUTHENTICATED. */
export type UnauthenticatedReason = 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'SESSION_ENDED';
export const forbidden = (message = 'You are not allowed to do this') => new SafeError(ErrorCode.FORBIDDEN, message);

/**
 * Apollo's `formatError`: errors we raised on purpose (SafeError) and errors
 * Apollo raised about the request itself (parse, validation, variables) pass
 * through; anything else is logged and replaced by a generic message.
 */
export function createErrorFormatter(log: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // Both mean "nothing was changed; the same request may succeed shortly".
    if (original instanceof CacheUnavailableError) {
      return { message: original.message, path: formatted.path, extensions: { code: ErrorCode.CACHE_UNAVAILABLE, retryable: true } };
    }
    if (original instanceof TransactionConflictError) {
      return {
        message: original.message,
        path: formatted.path,
        extensions: { code: ErrorCode.TRANSACTION_CONFLICT, retryable: true, reason: original.reason },
      };
    }
    if (original instanceof SafeError) {
      const { stacktrace: _omitted, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // Apollo gives every error it raises about the request (syntax, validation,
    // variables) a specific code, and INTERNAL_SERVER_ERROR to anything else
    // thrown while executing: those are the ones to hide.
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    // graphql-js stops coercing variables after 50 bad values with an error that Apollo leaves
    // without a code: it is about the variables, like the 50 before it.
    if (!formatted.path && formatted.message.startsWith('Too many errors processing variables')) {
      return { message: formatted.message, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    // A few of Apollo's refusals of the request itself (a persisted query's version or hash) come
    // with an HTTP 4xx status but no code: the client's mistake, said as it is.
    const status = (original as { extensions?: { http?: { status?: unknown } } } | undefined)?.extensions?.http?.status;
    if (!formatted.path && typeof status === 'number' && status >= 400 && status < 500) {
      return { message: formatted.message, extensions: { code: ErrorCode.BAD_REQUEST } };
    }
    log(original);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
