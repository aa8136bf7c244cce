/**
 * Bearer tokens: JWTs signed with HS256 by `jose` (maintained, dependency-free,
 * standards-complete). The subject is the user's numeric id.
 */
import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'storefront-api';

export interface TokenService {
  sign(userId: number): Promise<string>;
  /** The user id a valid token names, or `null` for anything else (expired, forged, malformed). */
  verify(token: string): Promise<number | null>;
}

export function createTokenService({ secret, ttlSeconds }: { secret: string; ttlSeconds: number }): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    sign: (userId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(userId))
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER });
        const id = Number(payload.sub);
        return Number.isSafeInteger(id) && id > 0 ? id : null;
      } catch {
        return null;
      }
    },
  };
}
