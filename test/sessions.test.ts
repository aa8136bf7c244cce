/**
 * Sessions that end (src/auth/sessions.ts): every token names a session of its
 * user, and the cached user carries its live session ids, so `logOut`,
 * `logOutEverywhere` and `changePassword` (which delete Session rows through
 * the write-through) refuse the ended tokens from the very next request, on
 * every instance, while checking a token still costs no SQL query when the
 * user is cached. Two API instances share PostgreSQL and Redis, as in
 * production. An expired token (a short JWT_TTL_SECONDS) answers
 * UNAUTHENTICATED saying it expired, distinct from an ended session or an
 * invalid token.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/auth/passwords.js';
import { MAX_SESSIONS_PER_USER } from '../src/auth/sessions.js';
import { startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';
import { expectCacheInSync, ok, refused } from './api-helpers.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a new horse battery staple';
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { id } } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token user { id email } } }`;
/** An operation that needs a user and writes nothing. */
const NEEDS_USER = `query($id: ID!) { user(id: $id) { id } }`;

let api: TestApi;
/** A second instance of the API on the same database, Redis and namespace. */
let second: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  second = await startTestApi({ DATABASE_URL: api.services.config.databaseUrl!, CACHE_NAMESPACE: api.namespace });
});
afterAll(async () => {
  await second?.close();
  await api?.close();
});

/** A customer signed up (its first session), with its email. */
async function customer() {
  const user = await api.signUp('Session User');
  const { email } = await api.services.rawDb.user.findUniqueOrThrow({ where: { id: user.id } });
  return { ...user, email };
}

/** A new session of the account, by logIn on `instance`; returns its token. */
async function logIn(instance: TestApi, email: string, password = PASSWORD): Promise<string> {
  return ok(await instance.gql(LOG_IN, { input: { email, password } })).logIn.token;
}

/** The session id a token names (its `sid` claim; tests only). */
const sidOf = (token: string) => Number(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid);

/** The token signs its user in on both instances: `me` and an operation that needs a user. */
async function expectWorks(token: string, user: { globalId: string }) {
  for (const instance of [api, second]) {
    expect(ok(await instance.gql(`{ me { id } }`, {}, token)).me).toEqual({ id: user.globalId });
    expect(ok(await instance.gql(NEEDS_USER, { id: user.globalId }, token)).user).toEqual({ id: user.globalId });
  }
}

/** The one UNAUTHENTICATED error of a refused operation, with its message and reason. */
function unauthenticated(res: GraphQLResponse) {
  expect(res.errors, JSON.stringify(res.data)).toHaveLength(1);
  const [error] = res.errors!;
  expect(error!.extensions?.code).toBe('UNAUTHENTICATED');
  return { message: error!.message, reason: error!.extensions?.reason };
}

/** The token signs nobody in, on both instances: `me` is null (no error), and an operation that needs a user says why. */
async function expectRefusedEverywhere(token: string, user: { globalId: string }, reason: string) {
  for (const instance of [api, second]) {
    const me = await instance.gql(`{ me { id } }`, {}, token);
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: null });
    expect(unauthenticated(await instance.gql(NEEDS_USER, { id: user.globalId }, token)).reason).toBe(reason);
  }
}

/** The session ids the database holds for a user, oldest first. */
const sessionsInDb = async (userId: number) =>
  (await api.services.rawDb.session.findMany({ where: { userId }, orderBy: { id: 'asc' }, select: { id: true } })).map((s) => s.id);

describe('logOut', () => {
  it("refuses that token on the very next request, on both instances; the user's other sessions still work", async () => {
    const user = await customer();
    const other = await logIn(api, user.email);
    const third = await logIn(second, user.email);
    // Every token works and the user's entry is warm, on both instances.
    for (const token of [user.token, other, third]) await expectWorks(token, user);

    expect(ok(await api.gql(`mutation { logOut }`, {}, user.token))).toEqual({ logOut: true });
    await expectRefusedEverywhere(user.token, user, 'SESSION_ENDED');
    await expectWorks(other, user);
    await expectWorks(third, user);

    // Exactly that session's row is gone, and the cache holds the user as committed.
    expect(await sessionsInDb(user.id)).toEqual([sidOf(other), sidOf(third)]);
    const { entry } = await expectCacheInSync(api, 'User', user.id);
    expect(entry.value.sessions).toEqual([{ id: sidOf(other) }, { id: sidOf(third) }]);
    // Logging out again with the ended token: UNAUTHENTICATED, saying the session ended, nothing changed.
    const error = await refused(api, 'UNAUTHENTICATED', () => api.gql(`mutation { logOut }`, {}, user.token));
    expect(error.message).toMatch(/session has ended/);
  });

  it('without a token, or with an invalid one: UNAUTHENTICATED, nothing changed', async () => {
    const user = await customer();
    await refused(api, 'UNAUTHENTICATED', () => api.gql(`mutation { logOut }`));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(`mutation { logOut }`, {}, `${user.token}x`));
    await expectWorks(user.token, user);
  });
});

describe('logOutEverywhere', () => {
  it("refuses every token of the user, this one included, on both instances; other users' sessions are untouched", async () => {
    const user = await customer();
    const bystander = await customer();
    const tokens = [user.token, await logIn(api, user.email), await logIn(second, user.email)];
    for (const token of tokens) await expectWorks(token, user);
    await expectWorks(bystander.token, bystander);

    expect(ok(await second.gql(`mutation { logOutEverywhere }`, {}, tokens[1]))).toEqual({ logOutEverywhere: true });
    for (const token of tokens) await expectRefusedEverywhere(token, user, 'SESSION_ENDED');
    expect(await sessionsInDb(user.id)).toEqual([]);
    await expectCacheInSync(api, 'User', user.id);
    await expectWorks(bystander.token, bystander);
    // The account itself is fine: logging in starts a new session.
    await expectWorks(await logIn(api, user.email), user);
  });
});

describe('changePassword', () => {
  it('changes the password, refuses every other token (and the one it was sent with) on both instances, and returns a token that works', async () => {
    const user = await customer();
    const other = await logIn(second, user.email);
    for (const token of [user.token, other]) await expectWorks(token, user);

    const data = ok(await api.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }, user.token));
    expect(data.changePassword.user).toEqual({ id: user.globalId, email: user.email });
    const fresh: string = data.changePassword.token;
    await expectRefusedEverywhere(other, user, 'SESSION_ENDED');
    await expectRefusedEverywhere(user.token, user, 'SESSION_ENDED');
    await expectWorks(fresh, user);
    expect(await sessionsInDb(user.id)).toEqual([sidOf(fresh)]);
    await expectCacheInSync(api, 'User', user.id);

    // The old password no longer logs in; the new one does.
    const { passwordHash } = await api.services.rawDb.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(await verifyPassword(passwordHash, NEW_PASSWORD)).toBe(true);
    const old = await api.gql(LOG_IN, { input: { email: user.email, password: PASSWORD } });
    expect(unauthenticated(old).message).toBe('Email or password is incorrect');
    await expectWorks(await logIn(second, user.email, NEW_PASSWORD), user);
  });

  it('refuses a wrong current password or a short new one with BAD_USER_INPUT naming the field, changing nothing', async () => {
    const user = await customer();
    const other = await logIn(api, user.email);
    await expectWorks(other, user); // warm, so a refusal fills nothing
    for (const currentPassword of ['wrong password', '', 'x'.repeat(500)]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(CHANGE_PASSWORD, { input: { currentPassword, newPassword: NEW_PASSWORD } }, user.token));
      expect(error.message).toBe('currentPassword is incorrect');
      expect(error.extensions?.field).toBe('currentPassword');
    }
    const short = await refused(api, 'BAD_USER_INPUT', () =>
      api.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'short' } }, user.token),
    );
    expect(short.message).toMatch(/^newPassword must be 8 to 128 characters/);
    expect(short.extensions?.field).toBe('newPassword');
    // Both sessions live on, and the password is the old one.
    await expectWorks(user.token, user);
    await expectWorks(other, user);
    await logIn(api, user.email, PASSWORD);
  });
});

describe('expired, invalid and ended tokens', () => {
  it('an expired token (JWT_TTL_SECONDS=3): me is null; what needs a user answers UNAUTHENTICATED saying it expired', async () => {
    const shortLived = await startTestApi({ JWT_TTL_SECONDS: '3' });
    try {
      const user = await shortLived.signUp();
      expect(ok(await shortLived.gql(`{ me { id } }`, {}, user.token)).me).toEqual({ id: user.globalId });
      const started = Date.now();
      while (ok(await shortLived.gql(`{ me { id } }`, {}, user.token)).me !== null) {
        expect(Date.now() - started, 'the token is still accepted').toBeLessThan(5000);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(Date.now() - started).toBeGreaterThan(1000);
      for (const res of [
        await shortLived.gql(NEEDS_USER, { id: user.globalId }, user.token),
        await shortLived.gql(`mutation { logOut }`, {}, user.token),
        await shortLived.gql(`mutation { updateProfile(input: { name: "Late" }) { id } }`, {}, user.token),
      ]) {
        expect(unauthenticated(res)).toEqual({ message: 'Your token has expired: log in again for a new one', reason: 'TOKEN_EXPIRED' });
      }
    } finally {
      await shortLived.close();
    }
  });

  it('each kind of refusal says what it is: no token, an invalid one, a token from before sessions, an ended session', async () => {
    const user = await customer();
    const ended = await logIn(api, user.email);
    ok(await api.gql(`mutation { logOut }`, {}, ended));
    const key = new TextEncoder().encode(api.services.config.jwtSecret);
    // Signed with the API's own secret, but without a session (`sid`): what tokens were before sessions.
    const beforeSessions = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(user.id))
      .setIssuer('storefront-api')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    const answers = {
      none: unauthenticated(await api.gql(NEEDS_USER, { id: user.globalId })),
      invalid: unauthenticated(await api.gql(NEEDS_USER, { id: user.globalId }, `${user.token.slice(0, -2)}xx`)),
      beforeSessions: unauthenticated(await api.gql(NEEDS_USER, { id: user.globalId }, beforeSessions)),
      ended: unauthenticated(await api.gql(NEEDS_USER, { id: user.globalId }, ended)),
    };
    expect(answers).toEqual({
      none: { message: 'You must be signed in: send Authorization: Bearer <token>', reason: undefined },
      invalid: { message: 'Your token is not valid: log in again for a new one', reason: 'TOKEN_INVALID' },
      beforeSessions: { message: 'Your token is not valid: log in again for a new one', reason: 'TOKEN_INVALID' },
      ended: { message: 'Your session has ended (logged out, password changed or account deleted): log in again', reason: 'SESSION_ENDED' },
    });
    for (const token of [`${user.token.slice(0, -2)}xx`, beforeSessions, ended]) expect(ok(await api.gql(`{ me { id } }`, {}, token))).toEqual({ me: null });
    await expectWorks(user.token, user);
  });

  it('a session deleted with SQL (an operator ending it) is refused everywhere within seconds (change capture)', async () => {
    const user = await customer();
    const other = await logIn(api, user.email);
    await expectWorks(user.token, user);
    await api.services.rawDb.$executeRawUnsafe(`DELETE FROM "Session" WHERE id = $1`, sidOf(user.token));
    const started = Date.now();
    while (ok(await second.gql(`{ me { id } }`, {}, user.token)).me !== null) {
      expect(Date.now() - started, 'the deleted session is still accepted').toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await expectRefusedEverywhere(user.token, user, 'SESSION_ENDED');
    await expectWorks(other, user);
  });
});

describe('how many sessions a user holds', () => {
  it('logIn prunes expired sessions and, at the limit, ends the oldest', async () => {
    const user = await customer();
    const userId = user.id;
    // Through the write-through, as the API writes: an expired session, and enough live ones to reach the limit.
    const expired = await api.services.db.session.create({ data: { userId, expiresAt: new Date(Date.now() - 1000) }, select: { id: true } });
    await api.services.db.session.createMany({
      data: Array.from({ length: MAX_SESSIONS_PER_USER - 1 }, () => ({ userId, expiresAt: new Date(Date.now() + 3600_000) })),
    });
    const before = await sessionsInDb(userId);
    expect(before).toHaveLength(MAX_SESSIONS_PER_USER + 1);
    expect(before[0]).toBe(sidOf(user.token)); // the oldest: the sign-up's
    await expectWorks(user.token, user);

    const token = await logIn(api, user.email);
    const after = await sessionsInDb(userId);
    expect(after).toHaveLength(MAX_SESSIONS_PER_USER);
    expect(after).not.toContain(expired.id);
    expect(after).not.toContain(sidOf(user.token));
    expect(after.at(-1)).toBe(sidOf(token));
    await expectRefusedEverywhere(user.token, user, 'SESSION_ENDED');
    await expectWorks(token, user);
    await expectCacheInSync(api, 'User', userId);
  });
});

describe('the cost of checking a session', () => {
  it('an authenticated request costs 0 SQL queries when warm, on both instances, right after logIn and logOut too', async () => {
    const user = await customer();
    const other = await logIn(api, user.email);
    const QUERY = `{ me { id cart { totalCents itemCount } } }`;
    /** SQL statements and Redis read round trips of one request on `instance`. */
    const cost = async (instance: TestApi, token: string) => {
      const { dbStats, stats } = instance.services;
      const [queries, roundTrips] = [dbStats.queries, stats.readRoundTrips];
      expect(ok(await instance.gql(QUERY, {}, token)).me).toEqual({ id: user.globalId, cart: { totalCents: 0, itemCount: 0 } });
      return { queries: dbStats.queries - queries, readRoundTrips: stats.readRoundTrips - roundTrips };
    };
    // The logIn published the user with its new session: warm at once, nothing to read from PostgreSQL.
    const warm = { queries: 0, readRoundTrips: 2 }; // the viewer and the cart, one batch each: no extra round trip for the session
    for (const instance of [api, second]) expect(await cost(instance, other)).toEqual(warm);
    for (const instance of [api, second]) expect(await cost(instance, user.token)).toEqual(warm);
    ok(await api.gql(`mutation { logOut }`, {}, user.token));
    for (const instance of [api, second]) expect(await cost(instance, other)).toEqual(warm);
  });
});
