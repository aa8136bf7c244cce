/**
 * Ending sessions (src/auth/sessions.ts): each mutation deletes Session rows
 * through the write-through, which rewrites the cached user before it
 * answers, so the tokens of those sessions are refused from the next request
 * on, on every instance.
 */
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import { startSession } from '../../auth/sessions.js';
import type { Resolvers } from '../../generated/graphql.js';
import { countLogIn, securityOf } from '../../security/index.js';
import { notSignedIn, requireViewer } from '../context.js';
import { badInput } from '../errors.js';
import { isRecordNotFound } from '../prisma-errors.js';
import { LIMITS, password } from '../validate.js';
import { signedIn } from './users.js';

export const sessionResolvers: Resolvers = {
  Mutation: {
    async logOut(_, __, ctx) {
      const viewer = await requireViewer(ctx);
      // deleteMany: a session another request ended meanwhile is as good as ended here.
      await ctx.services.db.session.deleteMany({ where: { id: ctx.auth.sessionId!, userId: viewer.id } });
      return true;
    },

    async logOutEverywhere(_, __, ctx) {
      const viewer = await requireViewer(ctx);
      await ctx.services.db.session.deleteMany({ where: { userId: viewer.id } });
      return true;
    },

    async changePassword(_, { input }, ctx) {
      const viewer = await requireViewer(ctx);
      const newPassword = password(input.newPassword, 'newPassword');
      // Guessing the current password with someone's token is a logIn attempt like any other:
      // counted by the same limits (per client, per client and account, per account).
      const { ip, limiter } = securityOf(ctx);
      const attempt = await countLogIn(limiter, ip, viewer.email);
      const account = await ctx.services.rawDb.user.findUnique({ where: { id: viewer.id }, select: { passwordHash: true } });
      if (!account) throw notSignedIn(ctx);
      const plausible = input.currentPassword.length <= LIMITS.password.max;
      if (!plausible || !(await verifyPassword(account.passwordHash, input.currentPassword))) {
        throw badInput('currentPassword is incorrect', { field: 'currentPassword' });
      }
      await attempt.succeeded();
      const passwordHash = await hashPassword(newPassword);
      try {
        // Every session ends, this one too: the client gets a new session (a new id: the one a
        // stolen token names is gone) with the returned token.
        const session = await ctx.services.db.$transaction(async (tx) => {
          await tx.user.update({ where: { id: viewer.id }, data: { passwordHash }, select: { id: true } });
          await tx.session.deleteMany({ where: { userId: viewer.id } });
          return startSession(tx, viewer.id, ctx.services.tokens, { prune: false });
        });
        return await signedIn(ctx, viewer.id, session);
      } catch (error) {
        // The account was deleted since it was read.
        if (isRecordNotFound(error)) throw notSignedIn(ctx);
        throw error;
      }
    },
  },
};
