/**
 * Bearer tokens: JWTs signed with HS256 by `jose` (maintained, dependency-free,
 * standards-complete). The subject (`sub`) is the user's numeric id and the
 * session id (`sid`, the claim OpenID Connect uses for it) names the Session
 * row the token belongs to (src/auth/sessions.ts); `exp` is the session's end.
 * A token says who it was issued to; whether its session is still live is
 * checked against the cached user (src/graphql/context.ts).
 */
import { SignJWT, errors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';

const ISSUER = 'storefront-api';

/** What a token names: a user and one of its sessions (both numeric ids). */
export interface TokenSubject {
  userId: number;
  sessionId: number;
}

/**
 * The outcome of checking a token's signature and claims:
 * - `valid`: genuine and not expired (its session may still have ended: that is the cached user's to say);
 * - `expired`: genuine (the signature checks) but past its `exp`;
 * - `invalid`: anything else: forged, malformed, another issuer, without an expiry, or without a session (issued before sessions existed).
 */
export type TokenCheck = ({ status: 'valid' } & TokenSubject) | { status: 'expired' } | { status: 'invalid' };

export interface TokenService {
  /** Seconds from a session's start to its end (`JWT_TTL_SECONDS`): what `expiresAt` of a new session is set to. */
  ttlSeconds: number;
  /** A token for this session, expiring at `expiresAt` (to the second, rounded down). */
  sign(session: TokenSubject & { expiresAt: Date }): Promise<string>;
  /** Checks a token; never throws. */
  verify(token: string): Promise<TokenCheck>;
}

/** A positive safe integer from a claim's decimal string, or null. */
function idFrom(claim: unknown): number | null {
  if (typeof claim !== 'string' || !/^[1-9][0-9]{0,15}$/.test(claim)) return null;
  const id = Number(claim);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * Genuine tokens already checked, remembered by their text until their `exp`: checking an HS256
 * signature is a WebCrypto call (about 0.02 ms of a request's CPU), and a client sends the same
 * token with every request. Only valid tokens are kept (a flood of forged ones cannot push them
 * out faster than it costs), at most this many, least recently used dropped first (lru-cache).
 * Whether the session is still live is never remembered here: that is the cached user's to say.
 */
const VERIFIED_TOKENS = 10_000;

/** Tokens signed with `secret` (HS256); sessions last `ttlSeconds`. */
export function createTokenService({ secret, ttlSeconds }: { secret: string; ttlSeconds: number }): TokenService {
  const key = new TextEncoder().encode(secret);
  const verified = new LRUCache<string, TokenSubject & { exp: number }>({ max: VERIFIED_TOKENS });
  return {
    ttlSeconds,
    sign: ({ userId, sessionId, expiresAt }) =>
      new SignJWT({ sid: String(sessionId) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(userId))
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key),
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        // jose's rule: expired once `exp` <= now, in whole seconds.
        if (known.exp <= Math.floor(Date.now() / 1000)) {
          verified.delete(token);
          return { status: 'expired' };
        }
        return { status: 'valid', userId: known.userId, sessionId: known.sessionId };
      }
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER });
        const userId = idFrom(payload.sub);
        const sessionId = idFrom(payload.sid);
        if (userId === null || sessionId === null || typeof payload.exp !== 'number') return { status: 'invalid' };
        verified.set(token, { userId, sessionId, exp: payload.exp });
        return { status: 'valid', userId, sessionId };
      } catch (error) {
        // jose checks the signature before the claims: only a genuine token can be found expired.
        return { status: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
      }
    },
  };
}
