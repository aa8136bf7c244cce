import { decoyHash, hashPassword, verifyPassword } from '../../auth/passwords.js';
import { startSession, type StartedSession } from '../../auth/sessions.js';
import type { Resolvers } from '../../generated/graphql.js';
import { notSignedIn, requireAdmin, requireSelfOrAdmin, requireViewer, type GraphQLContext } from '../context.js';
import { ErrorCode, SafeError, badInput, notFound } from '../errors.js';
import { fromGlobalId, toGlobalId } from '../ids.js';
import { isForeignKeyViolation, isRecordNotFound, isUniqueViolation } from '../prisma-errors.js';
import { LIMITS, email, emailOrNull, password, someFields, text } from '../validate.js';
import { countLogIn, ipSubject, securityOf } from '../../security/index.js';

const emailTaken = () => new SafeError(ErrorCode.CONFLICT, 'An account with this email already exists');

/** Loads a user the viewer may see (themself, or anyone for an admin); null if it does not exist. */
export async function findVisibleUser(ctx: GraphQLContext, id: number) {
  await requireSelfOrAdmin(ctx, id);
  return ctx.loaders.user.load(id);
}

/**
 * The AuthPayload of a session just started (and committed): a token for it, and the user as
 * committed. The rest of the request acts as that user, in that session.
 */
export async function signedIn(ctx: GraphQLContext, userId: number, session: StartedSession) {
  const user = await ctx.loaders.user.load(userId);
  if (!user) throw new Error(`user ${userId} vanished right after it was written`);
  ctx.signIn(userId, session.id);
  return { token: await ctx.services.tokens.sign({ userId, sessionId: session.id, expiresAt: session.expiresAt }), user };
}

export const userResolvers: Resolvers = {
  Query: {
    me: (_, __, ctx) => ctx.viewer(),
    user: async (_, { id }, ctx) => {
      await requireViewer(ctx);
      return findVisibleUser(ctx, fromGlobalId(id, 'User'));
    },
  },
  User: {
    id: (user) => toGlobalId('User', user.id),
  },
  Mutation: {
    async signUp(_, { input }, ctx) {
      // Every attempt counts, per client and per email: sign-ups cost a hash and can probe for taken emails.
      const { ip, limiter } = securityOf(ctx);
      await limiter.consume('signUpPerIp', ipSubject(ip));
      // The address in its one form (validate.ts): look-alike spellings are one account, and one count.
      const address = email(input.email);
      await limiter.consume('signUpPerAccount', address);
      const data = {
        email: address,
        name: text('name', input.name, { max: LIMITS.name }),
        passwordHash: await hashPassword(password(input.password)),
      };
      try {
        // The user, their (empty) cart and their first session are created together.
        const { user, session } = await ctx.services.db.$transaction(async (tx) => {
          const created = await tx.user.create({ data, select: { id: true } });
          await tx.cart.create({ data: { userId: created.id } });
          return { user: created, session: await startSession(tx, created.id, ctx.services.tokens, { prune: false }) };
        });
        return await signedIn(ctx, user.id, session);
      } catch (error) {
        if (isUniqueViolation(error)) throw emailTaken();
        throw error;
      }
    },

    async logIn(_, { input }, ctx) {
      // The address in its one form (validate.ts), so a look-alike spelling logs into the same account;
      // null for anything that is not an address: no account, and the same answer as a wrong password.
      const address = emailOrNull(input.email);
      // Counted before any work, per client, per client and email, and per email (whether or not it has an
      // account, so the limits say nothing about which emails exist); a success gives them back below.
      const { ip, limiter } = securityOf(ctx);
      const attempt = await countLogIn(limiter, ip, address ?? `not an address: ${input.email.trim().slice(0, 254)}`);
      const account =
        address === null
          ? null
          : await ctx.services.rawDb.user.findUnique({
              where: { email: address },
              select: { id: true, passwordHash: true },
            });
      // Verify against a decoy when there is no account or the password is too long to be
      // anyone's: same work, same time, same answer.
      const plausible = input.password.length <= LIMITS.password.max;
      const hash = plausible && account ? account.passwordHash : await decoyHash();
      const ok = (await verifyPassword(hash, plausible ? input.password : '')) && plausible;
      const incorrect = () => new SafeError(ErrorCode.UNAUTHENTICATED, 'Email or password is incorrect');
      if (!account || !ok) throw incorrect();
      await attempt.succeeded();
      try {
        // A new session (the user's expired ones pruned): the cached user has it at COMMIT.
        const session = await ctx.services.db.$transaction((tx) => startSession(tx, account.id, ctx.services.tokens));
        return await signedIn(ctx, account.id, session);
      } catch (error) {
        // The account was deleted since it was read: as if it had never existed.
        if (isForeignKeyViolation(error)) throw incorrect();
        throw error;
      }
    },

    async updateProfile(_, { input }, ctx) {
      const viewer = await requireViewer(ctx);
      const changes = someFields(input);
      const data = {
        ...(changes.name !== undefined && { name: text('name', changes.name, { max: LIMITS.name }) }),
        ...(changes.email !== undefined && { email: email(changes.email) }),
      };
      // Nothing really changes: no write, no new version.
      if (Object.entries(data).every(([field, value]) => viewer[field as keyof typeof viewer] === value)) return viewer;
      // Trying emails is a way to find out which are taken (CONFLICT): limited per user.
      if (data.email !== undefined && data.email !== viewer.email) await securityOf(ctx).limiter.consume('emailChangePerUser', String(viewer.id));
      try {
        await ctx.services.db.user.update({ where: { id: viewer.id }, data, select: { id: true } });
      } catch (error) {
        if (isUniqueViolation(error)) throw emailTaken();
        // The account is gone (deleted while this token was still valid): the token is anonymous.
        if (isRecordNotFound(error)) throw notSignedIn(ctx);
        throw error;
      }
      return (await ctx.loaders.user.load(viewer.id))!;
    },

    async deleteUser(_, { id: globalId }, ctx) {
      const admin = await requireAdmin(ctx);
      const id = fromGlobalId(globalId, 'User');
      if (id === admin.id) throw badInput('You cannot delete your own account', { argument: 'id' });
      try {
        // Through the write-through like every write: the user and their cart (ON DELETE
        // CASCADE) leave tombstones, so the user's tokens are anonymous at once everywhere.
        await ctx.services.db.user.delete({ where: { id }, select: { id: true } });
      } catch (error) {
        if (isRecordNotFound(error)) throw notFound(`User ${globalId} does not exist`);
        // Orders keep their user (ON DELETE RESTRICT): the order history is not erased.
        if (isForeignKeyViolation(error)) throw new SafeError(ErrorCode.CONFLICT, `User ${globalId} has orders and cannot be deleted`);
        throw error;
      }
      return { deletedUserId: globalId };
    },
  },
};
