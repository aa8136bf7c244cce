/**
 * The per-request context: the services, a fresh set of DataLoaders (so no
 * request ever sees another's memoized values), and who is asking.
 */
import { withCommitListener, type CommitListener } from 'prisma-write-through';
import type { UserRecord } from '../db/records.js';
import { applyCommitted, createLoaders, type Loaders } from '../loaders/index.js';
import type { Services } from '../services.js';
import { forbidden, unauthenticated } from './errors.js';

export interface GraphQLContext {
  services: Services;
  loaders: Loaders;
  /** The user id of a valid bearer token, or null. */
  viewerId: number | null;
  /**
   * The signed-in user, or null (also when the account no longer exists).
   * Read through the user loader every time, never memoized apart from it, so
   * after a write in this request it is what committed.
   */
  viewer(): Promise<UserRecord | null>;
  /** Keeps this request's loaders equal to what its transactions commit (see `inRequest`). */
  onCommit: CommitListener;
  /** After signUp or logIn: the rest of the request acts as this user. */
  signIn(userId: number): void;
}

export async function createContext(services: Services, authorization: string | undefined): Promise<GraphQLContext> {
  const loaders = createLoaders(services);
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const viewerId = token ? await services.tokens.verify(token) : null;
  const ctx: GraphQLContext = {
    services,
    loaders,
    viewerId,
    viewer: () => (ctx.viewerId === null ? Promise.resolve(null) : loaders.user.load(ctx.viewerId)),
    onCommit: (changes) => applyCommitted(loaders, changes),
    signIn(userId) {
      ctx.viewerId = userId;
    },
  };
  return ctx;
}

/**
 * Runs a resolver so that every transaction it commits updates this request's
 * loaders before anything else in the request reads them (a request sees its
 * own writes). Wraps every Mutation field (resolvers/index.ts).
 */
export function inRequest<T>(ctx: GraphQLContext, resolve: () => T): T {
  return withCommitListener(ctx.onCommit, resolve);
}

/** The signed-in user; UNAUTHENTICATED otherwise (also when the account no longer exists). */
export async function requireViewer(ctx: GraphQLContext): Promise<UserRecord> {
  const viewer = await ctx.viewer();
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** The signed-in admin; UNAUTHENTICATED or FORBIDDEN otherwise. */
export async function requireAdmin(ctx: GraphQLContext): Promise<UserRecord> {
  const viewer = await requireViewer(ctx);
  if (viewer.role !== 'ADMIN') throw forbidden('Only admins may do this');
  return viewer;
}

/** Passes when the viewer is `userId` or an admin. */
export async function requireSelfOrAdmin(ctx: GraphQLContext, userId: number): Promise<UserRecord> {
  const viewer = await requireViewer(ctx);
  if (viewer.id !== userId && viewer.role !== 'ADMIN') throw forbidden('You may only see your own account');
  return viewer;
}
