/**
 * What the security layer knows about one request (the client's address, the
 * rate limiter, the execution deadline), kept beside its GraphQL context.
 */
import type { RateLimiter } from './rate-limit.js';
import type { Deadline } from './timeout.js';

export interface RequestSecurity {
  /** The client's address: the socket's, or X-Forwarded-For's from hops TRUST_PROXY trusts (Fastify's `request.ip`). */
  ip: string | undefined;
  limiter: RateLimiter;
  deadline: Deadline;
}

/**
 * A symbol-keyed property of the context: Apollo Server shallow-copies the
 * context for each operation (Object.assign, which copies symbol keys), so
 * the state travels with every copy; it never shows up in string keys.
 */
const SECURITY = Symbol('security');

/** Gives a context its request's security state, once (not writable, not configurable). */
export function attachSecurity(context: object, security: RequestSecurity): void {
  Object.defineProperty(context, SECURITY, { value: security, enumerable: true, writable: false, configurable: false });
}

/** The request's security state; every context the server builds has one. */
export function securityOf(context: object): RequestSecurity {
  const security = maybeSecurityOf(context);
  if (!security) throw new Error('no security state on this context: build contexts with the server (src/server/http.ts)');
  return security;
}

/** The same, or undefined for a context built elsewhere. */
export function maybeSecurityOf(context: object): RequestSecurity | undefined {
  return (context as { [SECURITY]?: RequestSecurity })[SECURITY];
}
