/**
 * The authorization matrix: every query field and every mutation, called as
 * anonymous, with a forged token, as another customer, as an admin, and as
 * the customer who owns the data, each with the result or error code it must
 * give. A refused call leaves the database and the cache exactly as they
 * were; a call that succeeds for someone other than the owner leaves the
 * owner's user, cart and orders untouched.
 */
import { randomBytes } from 'node:crypto';
import { buildSchema } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeDefs } from '../src/graphql/schema.js';
import { idOf, startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';

let api: TestApi;

const PASSWORD = 'correct horse battery';
const ROLES = ['anonymous', 'forged', 'other', 'admin', 'owner'] as const;
type Role = (typeof ROLES)[number];
/** `ok`: data and no error; `null`: no error and a null answer; otherwise the one error code expected. */
type Outcome = 'ok' | 'null' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT';

interface World {
  owner: { token: string; id: number; globalId: string; email: string };
  other: { token: string; id: number; globalId: string };
  /** An admin of this world's own (so no other row's cart is theirs). */
  admin: { token: string; id: number; globalId: string };
  /** A token naming the owner, signed with another secret. */
  forged: string;
  /** In the owner's cart; also in the owner's one order. */
  product: { id: number; globalId: string };
  /** A product nothing refers to (for deleteProduct). */
  spare: { id: number; globalId: string };
  /** A customer with no orders (for deleteUser). */
  spareUser: { id: number; globalId: string };
  orderId: string;
}

const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64url');

async function account(name: string) {
  const email = `${name.toLowerCase()}-${randomBytes(4).toString('hex')}@example.com`;
  const res = await api.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`, { input: { email, name, password: PASSWORD } });
  const globalId: string = res.data.signUp.user.id;
  return { token: res.data.signUp.token as string, id: idOf(globalId), globalId, email };
}

/** An owner with one order and the product in their cart again, another customer, a spare product. */
async function makeWorld(): Promise<World> {
  const owner = await account('Owner');
  const other = await account('Other');
  const admin = await api.admin();
  const product = await api.product({ stock: 100, priceCents: 250 });
  const spare = await api.product();
  const spareUser = await account('Spare');
  const add = `mutation($p: ID!) { addToCart(input: { productId: $p, quantity: 1 }) { version } }`;
  await api.gql(add, { p: product.globalId }, owner.token);
  const orderId: string = (await api.gql(`mutation { checkout { id } }`, {}, owner.token)).data.checkout.id;
  await api.gql(add, { p: product.globalId }, owner.token);
  const forged = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(owner.id))
    .setIssuer('storefront-api')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('a-different-secret-that-is-long-enough-to-pass'));
  // Every viewer's cache entry is warm, so a refused call fills nothing.
  for (const token of [owner.token, other.token, admin.token]) await api.gql(`{ me { id } }`, {}, token);
  return { owner, other, admin, forged, product, spare, spareUser, orderId };
}

function tokenOf(world: World, role: Role): string | undefined {
  return { anonymous: undefined, forged: world.forged, other: world.other.token, admin: world.admin.token, owner: world.owner.token }[role];
}

/** The owner's rows: what nobody else may change. */
async function ownerState(world: World) {
  const db = api.services.rawDb;
  return {
    user: await db.user.findUnique({ where: { id: world.owner.id } }),
    cart: await db.cart.findUnique({ where: { userId: world.owner.id }, include: { items: true } }),
    orders: await db.order.findMany({ where: { userId: world.owner.id }, include: { items: true } }),
    cached: await api.snapshot().then((s) => [`User:${world.owner.id}`, `Cart:${world.owner.id}`].map((k) => s.cache[`${api.namespace}${k}`])),
  };
}

interface Row {
  name: string;
  mutation?: boolean;
  run(world: World, token: string | undefined, role: Role): Promise<GraphQLResponse>;
  expect: Record<Exclude<Role, 'forged'>, Outcome>;
  /** For an `ok` cell: what the answer must be. */
  check?(world: World, role: Role, data: any): void;
  /** The call acts as the owner whoever sends it (logIn with the owner's credentials starts a session of the owner's). */
  asOwner?: true;
}

const ANON = 'UNAUTHENTICATED' as const;
const self = (world: World, role: Role) => ({ other: world.other.globalId, admin: world.admin.globalId, owner: world.owner.globalId })[role as 'other'];

const q = (query: string, variables?: (w: World) => Record<string, unknown>) => (world: World, token: string | undefined) =>
  api.gql(query, variables?.(world), token);

const queries: Row[] = [
  {
    name: 'me',
    run: q(`{ me { id } }`),
    expect: { anonymous: 'null', other: 'ok', admin: 'ok', owner: 'ok' },
    check: (w, role, data) => expect(data.me.id).toBe(self(w, role)),
  },
  {
    name: "user(id): the owner's profile",
    run: q(`query($id: ID!) { user(id: $id) { id email } }`, (w) => ({ id: w.owner.globalId })),
    expect: { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.user).toEqual({ id: w.owner.globalId, email: w.owner.email }),
  },
  {
    name: "user(id).cart: the owner's cart",
    run: q(`query($id: ID!) { user(id: $id) { cart { id itemCount } } }`, (w) => ({ id: w.owner.globalId })),
    expect: { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.user.cart).toEqual({ id: gid('Cart', w.owner.id), itemCount: 1 }),
  },
  {
    name: "user(id).orders: the owner's orders",
    run: q(`query($id: ID!) { user(id: $id) { orders(first: 5) { edges { node { id } } } } }`, (w) => ({ id: w.owner.globalId })),
    expect: { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.user.orders.edges).toEqual([{ node: { id: w.orderId } }]),
  },
  {
    name: 'product(id): public',
    run: q(`query($id: ID!) { product(id: $id) { id } }`, (w) => ({ id: w.product.globalId })),
    expect: { anonymous: 'ok', other: 'ok', admin: 'ok', owner: 'ok' },
  },
  {
    name: 'products: public',
    run: q(`{ products(first: 100) { edges { node { id } } } }`),
    expect: { anonymous: 'ok', other: 'ok', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.products.edges.map((e: any) => e.node.id)).toContain(w.product.globalId),
  },
  {
    name: "order(id): the owner's order",
    run: q(`query($id: ID!) { order(id: $id) { id totalCents } }`, (w) => ({ id: w.orderId })),
    expect: { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.order).toEqual({ id: w.orderId, totalCents: 250 }),
  },
  {
    name: "order(id).user.cart: the owner's account through their order",
    run: q(`query($id: ID!) { order(id: $id) { user { id cart { itemCount } } } }`, (w) => ({ id: w.orderId })),
    expect: { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.order.user).toEqual({ id: w.owner.globalId, cart: { itemCount: 1 } }),
  },
  ...(['User', 'Cart', 'Order'] as const).map((type): Row => ({
    name: `node(id): the owner's ${type}`,
    run: q(`query($id: ID!) { node(id: $id) { __typename id } }`, (w) => ({ id: type === 'Order' ? w.orderId : gid(type, w.owner.id) })),
    expect: { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'ok' },
    check: (_, __, data) => expect(data.node.__typename).toBe(type),
  })),
  {
    name: 'node(id): a Product, public',
    run: q(`query($id: ID!) { node(id: $id) { id } }`, (w) => ({ id: w.product.globalId })),
    expect: { anonymous: 'ok', other: 'ok', admin: 'ok', owner: 'ok' },
  },
];

const UNAUTH_ELSE_FORBIDDEN_BUT_ADMIN = { anonymous: ANON, other: 'FORBIDDEN', admin: 'ok', owner: 'FORBIDDEN' } as const;
const SIGNED_IN = { anonymous: ANON, other: 'ok', admin: 'ok', owner: 'ok' } as const;

const mutations: Row[] = [
  {
    name: 'signUp: public',
    mutation: true,
    run: (_, token) =>
      api.gql(
        `mutation($input: SignUpInput!) { signUp(input: $input) { user { role } } }`,
        { input: { email: `new-${randomBytes(4).toString('hex')}@example.com`, name: 'New', password: PASSWORD } },
        token,
      ),
    expect: { anonymous: 'ok', other: 'ok', admin: 'ok', owner: 'ok' },
    // Nobody signs up as an admin, whoever asks.
    check: (_, __, data) => expect(data.signUp.user.role).toBe('CUSTOMER'),
  },
  {
    name: "logIn: public (with the owner's credentials)",
    mutation: true,
    run: (w, token) =>
      api.gql(`mutation($input: LogInInput!) { logIn(input: $input) { user { id } } }`, { input: { email: w.owner.email, password: PASSWORD } }, token),
    expect: { anonymous: 'ok', other: 'ok', admin: 'ok', owner: 'ok' },
    check: (w, _, data) => expect(data.logIn.user.id).toBe(w.owner.globalId),
    asOwner: true,
  },
  {
    name: "updateProfile: changes the caller's own profile only",
    mutation: true,
    run: (_, token, role) => api.gql(`mutation($name: String) { updateProfile(input: { name: $name }) { id name } }`, { name: `Renamed by ${role}` }, token),
    expect: SIGNED_IN,
    check: (w, role, data) => expect(data.updateProfile).toEqual({ id: self(w, role), name: `Renamed by ${role}` }),
  },
  {
    name: "logOut: ends the caller's own session only",
    mutation: true,
    run: (_, token) => api.gql(`mutation { logOut }`, {}, token),
    expect: SIGNED_IN,
  },
  {
    name: "logOutEverywhere: ends the caller's own sessions only",
    mutation: true,
    run: (_, token) => api.gql(`mutation { logOutEverywhere }`, {}, token),
    expect: SIGNED_IN,
  },
  {
    name: "changePassword: the caller's own password only",
    mutation: true,
    run: (_, token) =>
      api.gql(
        `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } } }`,
        { input: { currentPassword: PASSWORD, newPassword: 'another horse battery' } },
        token,
      ),
    expect: SIGNED_IN,
    check: (w, role, data) => expect(data.changePassword.user.id).toBe(self(w, role)),
  },
  {
    name: 'createProduct: admins only',
    mutation: true,
    run: (_, token) =>
      api.gql(
        `mutation($sku: String!) { createProduct(input: { sku: $sku, name: "N", priceCents: 1 }) { id } }`,
        { sku: `AZ-${randomBytes(3).toString('hex')}` },
        token,
      ),
    expect: UNAUTH_ELSE_FORBIDDEN_BUT_ADMIN,
  },
  {
    name: 'updateProduct: admins only',
    mutation: true,
    run: (w, token) => api.gql(`mutation($id: ID!) { updateProduct(input: { id: $id, priceCents: 999 }) { priceCents } }`, { id: w.product.globalId }, token),
    expect: UNAUTH_ELSE_FORBIDDEN_BUT_ADMIN,
  },
  {
    name: 'adjustStock: admins only',
    mutation: true,
    run: (w, token) => api.gql(`mutation($id: ID!) { adjustStock(input: { productId: $id, delta: -1 }) { stock } }`, { id: w.product.globalId }, token),
    expect: UNAUTH_ELSE_FORBIDDEN_BUT_ADMIN,
  },
  {
    name: 'deleteProduct: admins only',
    mutation: true,
    run: (w, token) => api.gql(`mutation($id: ID!) { deleteProduct(id: $id) { deletedProductId } }`, { id: w.spare.globalId }, token),
    expect: UNAUTH_ELSE_FORBIDDEN_BUT_ADMIN,
  },
  {
    name: 'deleteUser: admins only',
    mutation: true,
    run: (w, token) => api.gql(`mutation($id: ID!) { deleteUser(id: $id) { deletedUserId } }`, { id: w.spareUser.globalId }, token),
    expect: UNAUTH_ELSE_FORBIDDEN_BUT_ADMIN,
  },
  {
    name: "addToCart: the caller's own cart only",
    mutation: true,
    run: (w, token) => api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p }) { id } }`, { p: w.product.globalId }, token),
    expect: SIGNED_IN,
    check: (w, role, data) => expect(data.addToCart.id).toBe(gid('Cart', idOf(self(w, role)))),
  },
  {
    name: "setCartItemQuantity: a line of the caller's own cart only",
    mutation: true,
    run: (w, token) =>
      api.gql(`mutation($p: ID!) { setCartItemQuantity(input: { productId: $p, quantity: 3 }) { itemCount } }`, { p: w.product.globalId }, token),
    expect: { anonymous: ANON, other: 'NOT_FOUND', admin: 'NOT_FOUND', owner: 'ok' },
  },
  {
    name: "removeFromCart: a line of the caller's own cart only",
    mutation: true,
    run: (w, token) => api.gql(`mutation($p: ID!) { removeFromCart(productId: $p) { itemCount } }`, { p: w.product.globalId }, token),
    expect: { anonymous: ANON, other: 'NOT_FOUND', admin: 'NOT_FOUND', owner: 'ok' },
  },
  {
    name: "checkout: the caller's own cart only",
    mutation: true,
    run: (_, token) => api.gql(`mutation { checkout { id user { id } } }`, {}, token),
    // The other customer's and the admin's carts are empty: they cannot check out the owner's.
    expect: { anonymous: ANON, other: 'BAD_USER_INPUT', admin: 'BAD_USER_INPUT', owner: 'ok' },
    check: (w, _, data) => expect(data.checkout.user.id).toBe(w.owner.globalId),
  },
];

/** Every role's cell of one row; the owner goes last, so no one else acts on changed data. */
async function runRow(row: Row, world: World) {
  for (const role of ROLES) {
    const expected: Outcome = row.expect[role === 'forged' ? 'anonymous' : role];
    const label = `${row.name} as ${role}`;
    const before = await api.snapshot();
    const ownerBefore = await ownerState(world);
    const res = await row.run(world, tokenOf(world, role), role);
    const answer = res.data ? Object.values(res.data)[0] : null;
    if (expected === 'ok' || expected === 'null') {
      expect(res.errors, `${label}: ${JSON.stringify(res.errors)}`).toBeUndefined();
      if (expected === 'null') expect(answer, label).toBeNull();
      else {
        expect(answer, label).not.toBeNull();
        row.check?.(world, role, res.data);
      }
      if (row.mutation && !row.asOwner && role !== 'owner') expect(await ownerState(world), `${label} changed the owner's data`).toEqual(ownerBefore);
    } else {
      expect(
        res.errors?.map((e) => e.extensions?.code),
        `${label}: ${JSON.stringify(res.errors)}`,
      ).toEqual([expected]);
      expect(answer, label).toBeNull();
      expect(await api.snapshot(), `${label} changed something`).toEqual(before);
    }
  }
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

describe('queries', () => {
  let world: World;
  beforeAll(async () => {
    world = await makeWorld();
  });

  it.each(queries.map((row) => [row.name, row] as const))('%s', async (_, row) => {
    await runRow(row, world);
  });

  it("nodes(ids): each id is checked on its own (the owner's user, cart, order, and a product)", async () => {
    const ids = [world.owner.globalId, gid('Cart', world.owner.id), world.orderId, world.product.globalId];
    const expected: Record<Role, (string | null)[]> = {
      anonymous: [ANON, ANON, ANON, null],
      forged: [ANON, ANON, ANON, null],
      other: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', null],
      admin: [null, null, null, null],
      owner: [null, null, null, null],
    };
    for (const role of ROLES) {
      const res = await api.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, tokenOf(world, role));
      const codes = ids.map((_, i) => res.errors?.find((e) => e.path?.[1] === i)?.extensions?.code ?? null);
      expect(codes, role).toEqual(expected[role]);
      expect(
        res.data.nodes.map((n: { id: string } | null) => n?.id ?? null),
        role,
      ).toEqual(ids.map((id, i) => (expected[role][i] === null ? id : null)));
    }
  });
});

describe('mutations', () => {
  it.each(mutations.map((row) => [row.name, row] as const))('%s', async (_, row) => {
    await runRow(row, await makeWorld());
  });
});

describe('the matrix', () => {
  it('has a row for every query field and every mutation of the schema', () => {
    const schema = buildSchema(typeDefs);
    const covered = new Set([...queries, ...mutations].map((row) => /^\w+/.exec(row.name)![0]).concat('nodes'));
    const fields = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(fields.filter((field) => !covered.has(field))).toEqual([]);
  });
});

describe('tokens', () => {
  it('an unsigned (alg: none), expired, wrong-issuer or garbage token is anonymous', async () => {
    const world = await makeWorld();
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const key = new TextEncoder().encode(api.services.config.jwtSecret);
    const sign = (claims: { iss: string; exp: number }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(world.owner.id))
        .setIssuer(claims.iss)
        .setIssuedAt(claims.exp - 60)
        .setExpirationTime(claims.exp)
        .sign(key);
    const tokens = [
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: String(world.owner.id), iss: 'storefront-api', exp: now + 3600 })}.`,
      await sign({ iss: 'storefront-api', exp: now - 10 }),
      await sign({ iss: 'someone-else', exp: now + 3600 }),
      `${world.owner.token}x`,
      'Bearer',
      'x'.repeat(5000),
    ];
    for (const token of tokens) {
      expect((await api.gql(`{ me { id } }`, {}, token)).data, token.slice(0, 40)).toEqual({ me: null });
      const res = await api.gql(`query($id: ID!) { user(id: $id) { id } }`, { id: world.owner.globalId }, token);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // The real token still works.
    expect((await api.gql(`{ me { id } }`, {}, world.owner.token)).data).toEqual({ me: { id: world.owner.globalId } });
  });
});

describe('no enumeration of orders', () => {
  // Regression: an order that existed answered FORBIDDEN and one that did not answered null,
  // so any customer could tell which order ids exist (and count all orders).
  it('another customer cannot tell an order that exists from one that does not', async () => {
    const world = await makeWorld();
    const existing = await api.gql(`query($id: ID!) { order(id: $id) { id } }`, { id: world.orderId }, world.other.token);
    const missing = await api.gql(`query($id: ID!) { order(id: $id) { id } }`, { id: gid('Order', 2_000_000_000) }, world.other.token);
    expect(existing.errors?.[0]?.extensions?.code ?? null).toEqual(missing.errors?.[0]?.extensions?.code ?? null);
  });
});
