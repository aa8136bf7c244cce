/**
 * Users over HTTP: me, user(id), signUp, logIn, updateProfile. Every refused
 * mutation leaves the database and the cache exactly as they were; every
 * successful one leaves the cache holding the database row's version.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOf, startTestApi, type TestApi } from './support/api.js';
import { USER_FIELDS, adminUser, codeOf, expectCacheInSync, globalId, ok, refused } from './api-helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const PASSWORD = 'correct horse battery';
const uniqueEmail = (prefix = 'u') => `${prefix}-${randomBytes(4).toString('hex')}@example.com`;

const ME = `{ me { ${USER_FIELDS} } }`;
const USER = `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token user { ${USER_FIELDS} cart { id version itemCount } } } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { ${USER_FIELDS} } } }`;
const UPDATE_PROFILE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { ${USER_FIELDS} } }`;

/** Signs up through the mutation with a known email and password. */
async function account(name = 'Someone') {
  const email = uniqueEmail();
  const data = ok(await api.gql(SIGN_UP, { input: { email, name, password: PASSWORD } }));
  return { email, token: data.signUp.token as string, globalId: data.signUp.user.id as string, id: idOf(data.signUp.user.id) };
}

describe('me', () => {
  it('is null for an anonymous request', async () => {
    expect(ok(await api.gql(ME))).toEqual({ me: null });
  });

  it('is null for a token that is not valid (forged, garbage)', async () => {
    expect(ok(await api.gql(ME, {}, 'not-a-jwt'))).toEqual({ me: null });
    const customer = await api.signUp();
    const [header, payload] = customer.token.split('.');
    expect(ok(await api.gql(ME, {}, `${header}.${payload}.forgedsignature`))).toEqual({ me: null });
  });

  it('is the signed-in user', async () => {
    const user = await account('Ada Lovelace');
    const { me } = ok(await api.gql(ME, {}, user.token));
    expect(me).toMatchObject({ id: user.globalId, email: user.email, name: 'Ada Lovelace', role: 'CUSTOMER', version: 1 });
    expect(new Date(me.createdAt).toISOString()).toBe(me.createdAt);
  });
});

describe('user(id)', () => {
  it('returns yourself', async () => {
    const user = await account('Self');
    expect(ok(await api.gql(USER, { id: user.globalId }, user.token)).user).toMatchObject({ id: user.globalId, email: user.email, name: 'Self' });
  });

  it('refuses another customer with FORBIDDEN', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const res = await api.gql(USER, { id: b.globalId }, a.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.path).toEqual(['user']);
    expect(res.data).toEqual({ user: null });
  });

  it('lets an admin see anyone, and answers null for a user that does not exist', async () => {
    const admin = await adminUser(api);
    const customer = await account('Seen By Admin');
    expect(ok(await api.gql(USER, { id: customer.globalId }, admin.token)).user).toMatchObject({
      id: customer.globalId,
      email: customer.email,
      role: 'CUSTOMER',
    });
    // Including the user's cart and orders.
    const { user } = ok(
      await api.gql(`query($id: ID!) { user(id: $id) { cart { id itemCount } orders { edges { cursor } } } }`, { id: customer.globalId }, admin.token),
    );
    expect(user).toEqual({ cart: { id: globalId('Cart', customer.id), itemCount: 0 }, orders: { edges: [] } });
    expect(ok(await api.gql(USER, { id: globalId('User', 2_000_000_000) }, admin.token))).toEqual({ user: null });
  });

  it('refuses an anonymous request with UNAUTHENTICATED', async () => {
    const customer = await api.signUp();
    const res = await api.gql(USER, { id: customer.globalId });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data).toEqual({ user: null });
  });

  it('refuses a malformed id with BAD_USER_INPUT', async () => {
    const customer = await api.signUp();
    for (const id of ['not-an-id', '', '!!!', globalId('User', 0), globalId('User', 'abc'), globalId('User', '99999999999'), 'x'.repeat(200)]) {
      const res = await api.gql(USER, { id }, customer.token);
      expect(res.errors?.[0]?.extensions?.code, `id ${JSON.stringify(id)}`).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(/User ID/);
      expect(res.data).toEqual({ user: null });
    }
  });

  it('refuses the id of another type (a Product id) with BAD_USER_INPUT', async () => {
    const customer = await api.signUp();
    const product = await api.product();
    for (const id of [product.globalId, globalId('Cart', customer.id), globalId('Order', 1)]) {
      const res = await api.gql(USER, { id }, customer.token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('must be a User ID');
    }
  });
});

describe('signUp', () => {
  it('creates a customer with an empty cart, signs it in, and caches both at their database versions', async () => {
    const email = uniqueEmail('New.Person');
    const data = ok(await api.gql(SIGN_UP, { input: { email: `  ${email.toUpperCase()} `, name: '  New Person ', password: PASSWORD } }));
    const { token, user } = data.signUp;
    expect(user).toMatchObject({ email: email.toLowerCase(), name: 'New Person', role: 'CUSTOMER', version: 1 });
    expect(user.cart).toEqual({ id: globalId('Cart', idOf(user.id)), version: 1, itemCount: 0 });
    expect(typeof token).toBe('string');
    expect(ok(await api.gql(`{ me { id } }`, {}, token))).toEqual({ me: { id: user.id } });

    const { row } = await expectCacheInSync(api, 'User', idOf(user.id));
    expect(row.email).toBe(email.toLowerCase());
    await expectCacheInSync(api, 'Cart', idOf(user.id));
    // The password hash is stored, but never cached.
    const stored = await api.services.rawDb.user.findUniqueOrThrow({ where: { id: idOf(user.id) } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(await api.cached('User', idOf(user.id)))).not.toContain('argon2');
  });

  it('refuses an email that is taken (in any case) with CONFLICT', async () => {
    const existing = await account();
    for (const email of [existing.email, existing.email.toUpperCase(), ` ${existing.email} `]) {
      const error = await refused(api, 'CONFLICT', () => api.gql(SIGN_UP, { input: { email, name: 'Copycat', password: PASSWORD } }));
      expect(error.message).toMatch(/email already exists/);
    }
  });

  it('refuses a bad email with BAD_USER_INPUT naming the field', async () => {
    for (const email of ['not-an-email', 'a@b', '', '  ', 'two words@example.com', `${'x'.repeat(250)}@example.com`]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(SIGN_UP, { input: { email, name: 'Bad Email', password: PASSWORD } }));
      expect(error.message).toMatch(/^email /);
      expect(error.extensions?.field).toBe('email');
    }
  });

  it('refuses a short (or overlong) password with BAD_USER_INPUT naming the field', async () => {
    for (const password of ['', 'short', '1234567', 'x'.repeat(129)]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(SIGN_UP, { input: { email: uniqueEmail(), name: 'Short', password } }));
      expect(error.message).toMatch(/^password must be 8 to 128 characters/);
      expect(error.extensions?.field).toBe('password');
    }
  });

  it('refuses an empty (or blank, or overlong) name with BAD_USER_INPUT naming the field', async () => {
    for (const name of ['', '   ', 'x'.repeat(201)]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(SIGN_UP, { input: { email: uniqueEmail(), name, password: PASSWORD } }));
      expect(error.message).toMatch(/^name must be 1 to 200 characters/);
      expect(error.extensions?.field).toBe('name');
    }
  });
});

describe('logIn', () => {
  it('signs in with the right password (email in any case): a new session, and nothing else changes', async () => {
    const user = await account('Returning');
    const before = await api.snapshot();
    const data = ok(await api.gql(LOG_IN, { input: { email: ` ${user.email.toUpperCase()}`, password: PASSWORD } }));
    expect(data.logIn.user).toMatchObject({ id: user.globalId, email: user.email, name: 'Returning' });
    expect(ok(await api.gql(`{ me { id } }`, {}, data.logIn.token))).toEqual({ me: { id: user.globalId } });
    // Logging in writes one session row (a member of the user: its version goes up, and the cache
    // entry holds the new session); the profile and every other table are as they were.
    const after = await api.snapshot();
    expect(after.db.Session).toHaveLength(before.db.Session!.length + 1);
    expect({ ...after.db, User: undefined, Session: undefined }).toEqual({ ...before.db, User: undefined, Session: undefined });
    const { row } = await expectCacheInSync(api, 'User', user.id);
    expect(row.sessions).toHaveLength(2);
    expect(row.version).toBe(2);
  });

  it('gives the same UNAUTHENTICATED answer for a wrong password and for an unknown email', async () => {
    const user = await account();
    const wrongPassword = await refused(api, 'UNAUTHENTICATED', () => api.gql(LOG_IN, { input: { email: user.email, password: 'wrong password!' } }));
    const unknownEmail = await refused(api, 'UNAUTHENTICATED', () => api.gql(LOG_IN, { input: { email: uniqueEmail('nobody'), password: PASSWORD } }));
    expect(wrongPassword.message).toBe('Email or password is incorrect');
    expect(unknownEmail).toEqual(wrongPassword);
    // Even an empty password or email is the same answer, not a validation error.
    const empty = await refused(api, 'UNAUTHENTICATED', () => api.gql(LOG_IN, { input: { email: '', password: '' } }));
    expect(empty).toEqual(wrongPassword);
  });
});

describe('passwords are used exactly as given', () => {
  // Regression: signUp once hashed the trimmed password while logIn verified it as sent.
  it('a password with surrounding spaces logs in with that same password', async () => {
    const email = uniqueEmail('spaces');
    const password = '  padded password  ';
    ok(await api.gql(SIGN_UP, { input: { email, name: 'Spaces', password } }));
    ok(await api.gql(LOG_IN, { input: { email, password } }));
  });

  // Regression: logIn once truncated the password to 128 characters before verifying it.
  it('refuses the right password followed by extra characters', async () => {
    const email = uniqueEmail('long');
    const password = 'p'.repeat(128);
    ok(await api.gql(SIGN_UP, { input: { email, name: 'Long', password } }));
    ok(await api.gql(LOG_IN, { input: { email, password } }));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(LOG_IN, { input: { email, password: `${password}-and-anything-else` } }));
  });
});

describe('updateProfile', () => {
  it('changes the name: version goes up by 1 and the cache holds the new version', async () => {
    const user = await account('Old Name');
    const data = ok(await api.gql(UPDATE_PROFILE, { input: { name: '  New Name  ' } }, user.token));
    expect(data.updateProfile).toMatchObject({ id: user.globalId, name: 'New Name', email: user.email, version: 2 });
    const { row, entry } = await expectCacheInSync(api, 'User', user.id);
    expect(row.version).toBe(2);
    expect(entry.value.name).toBe('New Name');
    expect(ok(await api.gql(ME, {}, user.token)).me).toMatchObject({ name: 'New Name', version: 2 });
  });

  it('changes the email (normalized), after which logIn uses the new one', async () => {
    const user = await account();
    const email = uniqueEmail('moved');
    const data = ok(await api.gql(UPDATE_PROFILE, { input: { email: email.toUpperCase(), name: 'Moved' } }, user.token));
    expect(data.updateProfile).toMatchObject({ email, name: 'Moved', version: 2 });
    const { entry } = await expectCacheInSync(api, 'User', user.id);
    expect(entry.value).toMatchObject({ email, name: 'Moved' });
    ok(await api.gql(LOG_IN, { input: { email, password: PASSWORD } }));
    expect(codeOf(await api.gql(LOG_IN, { input: { email: user.email, password: PASSWORD } }))).toBe('UNAUTHENTICATED');
  });

  it('refuses an anonymous request with UNAUTHENTICATED', async () => {
    const error = await refused(api, 'UNAUTHENTICATED', () => api.gql(UPDATE_PROFILE, { input: { name: 'Ghost' } }));
    expect(error.message).toMatch(/signed in/);
  });

  it('refuses an input with nothing to change with BAD_USER_INPUT', async () => {
    const user = await account();
    for (const input of [{}, { name: null }, { name: null, email: null }]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(UPDATE_PROFILE, { input }, user.token));
      expect(error.message).toMatch(/Nothing to change/);
    }
  });

  it('refuses a bad email or a blank name with BAD_USER_INPUT naming the field', async () => {
    const user = await account();
    const badEmail = await refused(api, 'BAD_USER_INPUT', () => api.gql(UPDATE_PROFILE, { input: { email: 'nope' } }, user.token));
    expect(badEmail.extensions?.field).toBe('email');
    const blankName = await refused(api, 'BAD_USER_INPUT', () => api.gql(UPDATE_PROFILE, { input: { name: '  ' } }, user.token));
    expect(blankName.extensions?.field).toBe('name');
    // A valid field next to an invalid one changes nothing either.
    await refused(api, 'BAD_USER_INPUT', () => api.gql(UPDATE_PROFILE, { input: { name: 'Fine', email: 'nope' } }, user.token));
  });

  it("refuses another account's email (in any case) with CONFLICT", async () => {
    const a = await account();
    const b = await account();
    for (const email of [b.email, b.email.toUpperCase()]) {
      const error = await refused(api, 'CONFLICT', () => api.gql(UPDATE_PROFILE, { input: { email, name: 'Also Changed' } }, a.token));
      expect(error.message).toMatch(/email already exists/);
    }
  });
});
