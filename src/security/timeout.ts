/**
 * A per-request execution timeout. GraphQL execution cannot be aborted from
 * outside, so every resolver is raced against the request's deadline: once
 * it passes, pending resolvers answer TIMEOUT at once (the response goes out
 * on time) and no resolver starts any more (no further mutation field runs).
 * Work already in flight, such as a database transaction, finishes in the
 * background: a mutation that timed out may still have happened.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, parse } from 'graphql';
import { ErrorCode, SafeError } from '../graphql/errors.js';
import { maybeSecurityOf } from './request.js';

export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private expiredAt: number | undefined;
  private rejectExpired: ((error: Error) => void) | undefined;
  /** Rejects with the TIMEOUT error when the deadline passes; never settles otherwise. */
  readonly expired: Promise<never>;

  constructor(readonly ms: number) {
    this.expired = new Promise<never>((_, reject) => (this.rejectExpired = reject));
    this.expired.catch(() => undefined); // observed by races only
  }

  /** Starts the clock (once). */
  start(): void {
    if (this.timer || this.expiredAt !== undefined) return;
    this.timer = setTimeout(() => {
      this.expiredAt = Date.now();
      this.rejectExpired!(this.error());
    }, this.ms);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  get passed(): boolean {
    return this.expiredAt !== undefined;
  }

  error(): SafeError {
    return new SafeError(
      ErrorCode.TIMEOUT,
      `The request took longer than ${this.ms} ms and its answer was given up: a query may be retried (or ask for less); a mutation may still complete, so read before retrying it`,
      {
        timeoutMs: this.ms,
      },
    );
  }
}

type AnyResolver = (parent: unknown, args: unknown, context: object, info: unknown) => unknown;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function withDeadline(resolve: AnyResolver): AnyResolver {
  return (parent, args, context, info) => {
    const deadline = maybeSecurityOf(context)?.deadline;
    if (deadline?.passed) throw deadline.error();
    const result = resolve(parent, args, context, info);
    return deadline && isPromiseLike(result) ? Promise.race([result, deadline.expired]) : result;
  };
}

/**
 * Wraps every field resolver of the object types (`Query`, `Mutation`, ...)
 * of a resolver map; scalars, enums and `__resolveType` stay as they are,
 * and fields without a resolver only read a property.
 */
export function withDeadlines<T extends object>(resolvers: T, typeDefs: string): T {
  const objectTypes = new Set(
    parse(typeDefs)
      .definitions.filter((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION)
      .map((d) => (d as { name: { value: string } }).name.value),
  );
  const wrapped: Record<string, unknown> = { ...(resolvers as Record<string, unknown>) };
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (!objectTypes.has(typeName) || typeof fields !== 'object' || fields === null) continue;
    wrapped[typeName] = Object.fromEntries(
      Object.entries(fields as Record<string, unknown>).map(([field, resolver]) => [
        field,
        typeof resolver === 'function' && !field.startsWith('__') ? withDeadline(resolver as AnyResolver) : resolver,
      ]),
    );
  }
  return wrapped as T;
}

/** Starts the request's clock when execution starts, and stops it at the end. */
export function timeoutPlugin(): ApolloServerPlugin<object> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ contextValue }) {
          const deadline = maybeSecurityOf(contextValue)?.deadline;
          deadline?.start();
          return {
            async executionDidEnd() {
              deadline?.stop();
            },
          };
        },
        async willSendResponse({ contextValue }) {
          maybeSecurityOf(contextValue)?.deadline.stop();
        },
      };
    },
  };
}
