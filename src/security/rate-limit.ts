/**
 * Rate limits of the mutations that guess or create credentials (logIn,
 * signUp, email changes), kept in Redis by rate-limiter-flexible so every
 * instance counts together. While Redis is unreachable each instance counts
 * alone in memory (the library's insurance limiter): limits loosen by the
 * number of instances, they never switch off and never lock everyone out.
 *
 * Keys are `<CACHE_NAMESPACE>rl:<limit>:<digest>`: the subject (an IP, an
 * email, a user id) only ever reaches Redis as a keyed hash, so keys are
 * built from a fixed alphabet and hold no personal data.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { isIP } from 'node:net';
import { HeaderMap } from '@apollo/server';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Rate, RateLimits } from '../config.js';
import { ErrorCode, SafeError } from '../graphql/errors.js';

export type LimitName = keyof RateLimits;
const LIMIT_NAMES: LimitName[] = ['logInPerIp', 'logInPerIpAndAccount', 'logInPerAccount', 'signUpPerIp', 'signUpPerAccount', 'emailChangePerUser'];

export interface RateLimiter {
  /** Counts one attempt against `limit` for `subject`; TOO_MANY_REQUESTS (HTTP 429) when none are left. */
  consume(limit: LimitName, subject: string): Promise<void>;
  /** Gives one attempt back (a logIn that succeeded does not count against its IP). */
  reward(limit: LimitName, subject: string): Promise<void>;
  /** Forgets every attempt of `subject` (a successful logIn resets its account's count). */
  reset(limit: LimitName, subject: string): Promise<void>;
}

/** The clear error a limited request gets: code, seconds to wait, and HTTP 429 with Retry-After. */
export function tooManyRequests(retryAfterSeconds: number): SafeError {
  return new SafeError(ErrorCode.TOO_MANY_REQUESTS, `Too many attempts: try again in ${retryAfterSeconds} seconds`, {
    retryAfterSeconds,
    http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
  });
}

/**
 * The subject of a per-IP limit: IPv4 addresses as they are (also when
 * IPv4-mapped), IPv6 addresses by their /64 network, which one client
 * usually holds whole.
 */
export function ipSubject(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) === 4) return ip;
  if (isIP(ip) !== 6) return 'unknown';
  return `${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('%')[0]!.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * Counts one logIn attempt, before any work, following rate-limiter-flexible's
 * "login endpoint protection" recipe (its wiki, "Brute-force protection"):
 *
 * 1. `logInPerIp`: failures per client (`ipSubject`) per day, whatever the
 *    email (slow brute force, and one client spraying many accounts);
 * 2. `logInPerIpAndAccount`: consecutive failures per client and account;
 *    the owner's success resets only the owner's own count;
 * 3. `logInPerAccount`: failures per account from every client together, a
 *    ceiling against attacks spread over many addresses, set far above the
 *    per-client limits, so no one client can lock the owner out.
 *
 * Each attempt is counted first and given back on success (so concurrent
 * guesses cannot overrun a limit); a limit that refuses stops the count, so
 * the attempts an attacker makes while refused do not reach the account's
 * ceiling. `account` is the email in its one form (`email` in
 * src/graphql/validate.ts), counted whether or not it has an account.
 *
 * Throws TOO_MANY_REQUESTS (`tooManyRequests`) when a limit is used up.
 * Returns `succeeded`, to call when the password was right: it gives the
 * client its attempt back and resets both of the account's counts.
 */
export async function countLogIn(limiter: RateLimiter, ip: string | undefined, account: string): Promise<{ succeeded(): Promise<void> }> {
  const client = ipSubject(ip);
  const pair = `${client}\n${account}`;
  await limiter.consume('logInPerIp', client);
  await limiter.consume('logInPerIpAndAccount', pair);
  await limiter.consume('logInPerAccount', account);
  return {
    succeeded: async () => {
      await Promise.all([limiter.reward('logInPerIp', client), limiter.reset('logInPerIpAndAccount', pair), limiter.reset('logInPerAccount', account)]);
    },
  };
}

/** No limits (RATE_LIMITS=off). */
export const unlimited: RateLimiter = {
  consume: async () => undefined,
  reward: async () => undefined,
  reset: async () => undefined,
};

/**
 * The limiter of every limit in `limits` (src/config.ts, RATE_LIMIT_*): in
 * Redis under `<namespace>rl:<limit>:<keyed hash of the subject>` with an
 * in-memory insurance limiter while Redis is unreachable, or in memory only
 * (`redis` null, one instance). A store failure that even the insurance
 * limiter cannot absorb lets the attempt through and calls `onStoreError`.
 */
export function createRateLimiter({
  redis,
  namespace,
  limits,
  keySecret,
  onStoreError,
}: {
  /** Counters in Redis, shared by every instance; null: in process (a single instance). */
  redis: Redis | Cluster | null;
  namespace: string;
  limits: RateLimits;
  /** Keys the hash of subjects (derived from, never equal to, the JWT secret). */
  keySecret: string;
  onStoreError?: (error: unknown) => void;
}): RateLimiter {
  const hashKey = Buffer.from(hkdfSync('sha256', keySecret, 'storefront', 'rate-limit subject keys', 32));
  const digest = (limit: LimitName, subject: string) => createHmac('sha256', hashKey).update(`${limit}\0${subject}`).digest('base64url').slice(0, 32);

  const build = (name: LimitName, rate: Rate) =>
    !redis
      ? new RateLimiterMemory({ keyPrefix: `${name}`, points: rate.points, duration: rate.seconds })
      : new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${namespace}rl:${name}`,
          points: rate.points,
          duration: rate.seconds,
          // Fail over to counting in memory at once when Redis is not connected (the client never queues).
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${name}`, points: rate.points, duration: rate.seconds }),
        });
  const limiters = Object.fromEntries(LIMIT_NAMES.map((name) => [name, build(name, limits[name])])) as Record<LimitName, RateLimiterRedis | RateLimiterMemory>;

  /** A store error that even the insurance limiter could not absorb: allow, and say so. */
  const tolerate = (error: unknown) => {
    if (error instanceof RateLimiterRes) throw tooManyRequests(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    onStoreError?.(error);
  };

  return {
    async consume(limit, subject) {
      await limiters[limit].consume(digest(limit, subject)).then(() => undefined, tolerate);
    },
    async reward(limit, subject) {
      await limiters[limit].reward(digest(limit, subject)).then(() => undefined, tolerate);
    },
    async reset(limit, subject) {
      await limiters[limit].delete(digest(limit, subject)).then(() => undefined, tolerate);
    },
  };
}
