/**
 * Sessions: every bearer token names one Session row (its `sid` claim), and a
 * token is accepted only while its session is among the signed-in user's live
 * sessions. Session rows are members of the cached User aggregate
 * (src/db/entities.ts), so ending a session is a write like any other: it
 * bumps the user's version, and the write-through rewrites the cached user
 * (on every instance at once, through Redis) before the mutation answers.
 * Checking a token therefore costs nothing beyond the user read the request
 * makes anyway: no query when the user is cached.
 *
 * - `logIn` and `signUp` start a session (`startSession`);
 * - `logOut` ends the request's session, `logOutEverywhere` all of the user's,
 *   `changePassword` all of them and starts a new one (src/graphql/resolvers/sessions.ts);
 * - `deleteUser` deletes them with the user (ON DELETE CASCADE);
 * - a session ends by itself at `expiresAt`, the token's `exp`; its row is
 *   pruned at the user's next `logIn`.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import type { TokenService } from './tokens.js';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Live sessions a user may hold at once: a `logIn` beyond it ends the oldest.
 * It bounds the cached user (every authenticated request reads it): 50 ids are
 * about 500 bytes.
 */
export const MAX_SESSIONS_PER_USER = 50;

/** A started session: its id and when it (and its token) expires. */
export interface StartedSession {
  id: number;
  expiresAt: Date;
}

/**
 * Starts a session for `userId` inside `tx` (a write-through transaction, so
 * the cached user gets it at COMMIT), lasting `tokens.ttlSeconds`. With
 * `prune`, first deletes the user's expired sessions and, if the user holds
 * `MAX_SESSIONS_PER_USER` or more, its oldest ones, leaving room for this one.
 * Throws Prisma's foreign key error (P2003) when the user does not exist.
 */
export async function startSession(tx: Tx, userId: number, tokens: Pick<TokenService, 'ttlSeconds'>, { prune = true } = {}): Promise<StartedSession> {
  const now = Date.now();
  if (prune) {
    const held = await tx.session.findMany({ where: { userId }, select: { id: true, expiresAt: true }, orderBy: { id: 'desc' } });
    const ended = held.filter((session, newest) => session.expiresAt.getTime() <= now || newest >= MAX_SESSIONS_PER_USER - 1).map((session) => session.id);
    if (ended.length > 0) await tx.session.deleteMany({ where: { id: { in: ended } } });
  }
  return tx.session.create({ data: { userId, expiresAt: new Date(now + tokens.ttlSeconds * 1000) }, select: { id: true, expiresAt: true } });
}
