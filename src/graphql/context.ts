/**
 * The per-request context: the services, a fresh set of DataLoaders (so no
 * request ever sees another's memoized values), and who is asking.
 */
import { withCommitListener, type CommitListener } from 'prisma-write-through';
import type { TokenCheck } from '../auth/tokens.js';
import type { UserRecord } from '../db/records.js';
import { applyCommitted, createLoaders, type Loaders } from '../loaders/index.js';
import type { Services } from '../services.js';
import { forbidden, unauthenticated, type SafeError } from './errors.js';

export interface GraphQLContext {
  services: Services;
  loaders: Loaders;
  /**
   * Who the request's token says is asking. One object shared by every copy of the context
   * (Apollo Server shallow-copies it for the operation), so what `signIn` changes reaches the
   * resolvers' copy too.
   */
  auth: RequestAuth;
  /**
   * The signed-in user, or null: no valid token, its session ended (logged out, password
   * changed), or the account no longer exists. Read through the user loader every time, never
   * memoized apart from it, so after a write in this request it is what committed; the session
   * is checked against the user's live sessions in that same record (no query of its own).
   */
  viewer(): Promise<UserRecord | null>;
  /** Keeps this request's loaders equal to what its transactions commit (see `inRequest`). */
  onCommit: CommitListener;
  /** After signUp, logIn or changePassword: the rest of the request acts as this user, in this session. */
  signIn(userId: number, sessionId: number): void;
}

/** What a request's bearer token says (src/auth/tokens.ts); see `GraphQLContext.auth`. */
export interface RequestAuth {
  /** The user id of a valid token, or null. */
  viewerId: number | null;
  /** The session id (`sid`) of a valid token, or null (src/auth/sessions.ts). */
  sessionId: number | null;
  /** What the token turned out to be; `none` when the request sent none. */
  token: 'none' | TokenCheck['status'];
}

/**
 * The context of one request from its `Authorization` header: the token checked (signature and
 * expiry, no I/O); whether its session is live is left to `viewer()`, which reads the user anyway.
 */
export async function createContext(services: Services, authorization: string | undefined): Promise<GraphQLContext> {
  const loaders = createLoaders(services);
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const check: TokenCheck | null = bearer ? await services.tokens.verify(bearer) : null;
  const valid = check?.status === 'valid' ? check : null;
  const auth: RequestAuth = { viewerId: valid?.userId ?? null, sessionId: valid?.sessionId ?? null, token: check?.status ?? 'none' };
  return {
    services,
    loaders,
    auth,
    async viewer() {
      if (auth.viewerId === null) return null;
      const user = await loaders.user.load(auth.viewerId);
      return user && user.sessions.some((session) => session.id === auth.sessionId) ? user : null;
    },
    onCommit: (changes) => applyCommitted(loaders, changes),
    signIn(userId, sessionId) {
      Object.assign(auth, { viewerId: userId, sessionId, token: 'valid' });
    },
  };
}

/**
 * UNAUTHENTICATED for a request with no signed-in user, saying why: no token,
 * an expired one (`TOKEN_EXPIRED`), one that is not valid (`TOKEN_INVALID`:
 * forged, malformed, or from before sessions existed), or a valid one whose
 * session has ended (`SESSION_ENDED`: logged out, password changed, account deleted).
 */
export function notSignedIn({ auth }: Pick<GraphQLContext, 'auth'>): SafeError {
  switch (auth.token) {
    case 'none':
      return unauthenticated();
    case 'expired':
      return unauthenticated('Your token has expired: log in again for a new one', 'TOKEN_EXPIRED');
    case 'invalid':
      return unauthenticated('Your token is not valid: log in again for a new one', 'TOKEN_INVALID');
    case 'valid':
      return unauthenticated('Your session has ended (logged out, password changed or account deleted): log in again', 'SESSION_ENDED');
  }
}

/**
 * Runs a resolver so that every transaction it commits updates this request's
 * loaders before anything else in the request reads them (a request sees its
 * own writes). Wraps every Mutation field (resolvers/index.ts).
 */
export function inRequest<T>(ctx: GraphQLContext, resolve: () => T): T {
  return withCommitListener(ctx.onCommit, resolve);
}

/** The signed-in user; UNAUTHENTICATED otherwise, saying why (`notSignedIn`). */
export async function requireViewer(ctx: GraphQLContext): Promise<UserRecord> {
  const viewer = await ctx.viewer();
  if (!viewer) throw notSignedIn(ctx);
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
