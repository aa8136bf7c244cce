/**
 * Orders and global object identification over HTTP: order(id), User.orders,
 * OrderItem.product, node(id) and nodes(ids) for every type, with the same
 * access rules as each type's own query field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';
import { DELETE_PRODUCT, adminUser, expectCacheInSync, globalId, ok, placeOrder } from './api-helpers.js';

let api: TestApi;
let admin: { token: string; id: number; globalId: string };
beforeAll(async () => {
  api = await startTestApi();
  admin = await adminUser(api);
});
afterAll(() => api?.close());

const ORDER_FIELDS = `id status totalCents createdAt user { id } items { product { id sku } productName productSku quantity unitPriceCents subtotalCents }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const ORDERS_OF = `query($id: ID!, $first: Int, $after: String) {
  user(id: $id) { orders(first: $first, after: $after) { edges { cursor node { id totalCents } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
}`;
const NODE = `query($id: ID!) { node(id: $id) {
  __typename id
  ... on User { email name }
  ... on Product { sku }
  ... on Cart { itemCount version }
  ... on Order { totalCents user { id } }
} }`;
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;

/** A customer with one order of one product; returns everything the tests need. */
async function customerWithOrder(priceCents = 500, quantity = 2) {
  const customer = await api.signUp();
  const product = await api.product({ priceCents, stock: 100 });
  const orderId = await placeOrder(api, customer.token, [{ productId: product.globalId, quantity }]);
  return { customer, product, orderId };
}

describe('order(id)', () => {
  it('returns your own order with its lines', async () => {
    const customer = await api.signUp();
    const a = await api.product({ sku: `ORD-A-${Date.now()}`, priceCents: 500, stock: 10 });
    const b = await api.product({ priceCents: 125, stock: 10 });
    const orderId = await placeOrder(api, customer.token, [
      { productId: a.globalId, quantity: 2 },
      { productId: b.globalId, quantity: 4 },
    ]);
    const { order } = ok(await api.gql(ORDER, { id: orderId }, customer.token));
    expect(order).toMatchObject({
      id: orderId,
      status: 'PLACED',
      totalCents: 1500,
      user: { id: customer.globalId },
      items: [
        { product: { id: a.globalId }, productName: 'Product', quantity: 2, unitPriceCents: 500, subtotalCents: 1000 },
        { product: { id: b.globalId }, quantity: 4, unitPriceCents: 125, subtotalCents: 500 },
      ],
    });
    expect(order.items[0].productSku).toBe(order.items[0].product.sku);
    // checkout left the cache holding the committed stock and the emptied cart.
    expect((await expectCacheInSync(api, 'Product', a.id)).row.stock).toBe(8);
    expect((await expectCacheInSync(api, 'Product', b.id)).row.stock).toBe(6);
    expect((await expectCacheInSync(api, 'Cart', customer.id)).row.items).toEqual([]);
  });

  it("refuses another customer's order with FORBIDDEN", async () => {
    const { orderId } = await customerWithOrder();
    const other = await api.signUp();
    const res = await api.gql(ORDER, { id: orderId }, other.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.data).toEqual({ order: null });
  });

  it("lets an admin see anyone's order", async () => {
    const { customer, orderId } = await customerWithOrder(700, 3);
    expect(ok(await api.gql(ORDER, { id: orderId }, admin.token)).order).toMatchObject({ id: orderId, totalCents: 2100, user: { id: customer.globalId } });
  });

  it('refuses an anonymous request with UNAUTHENTICATED', async () => {
    const { orderId } = await customerWithOrder();
    const res = await api.gql(ORDER, { id: orderId });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data).toEqual({ order: null });
  });

  it("an order that does not exist: FORBIDDEN for a customer (as for another's), null for an admin; a malformed or wrong-type id is BAD_USER_INPUT", async () => {
    const customer = await api.signUp();
    const missing = await api.gql(ORDER, { id: globalId('Order', 2_000_000_000) }, customer.token);
    expect(missing.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ok(await api.gql(ORDER, { id: globalId('Order', 2_000_000_000) }, admin.token))).toEqual({ order: null });
    for (const id of ['garbage', customer.globalId]) {
      const res = await api.gql(ORDER, { id }, customer.token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('must be a Order ID');
    }
  });
});

describe('User.orders', () => {
  it('pages through your orders, newest first', async () => {
    const customer = await api.signUp();
    const product = await api.product({ priceCents: 100, stock: 100 });
    const ids: string[] = [];
    for (let q = 1; q <= 5; q++) ids.push(await placeOrder(api, customer.token, [{ productId: product.globalId, quantity: q }]));
    const newestFirst = [...ids].reverse();

    const page1 = ok(await api.gql(ORDERS_OF, { id: customer.globalId, first: 2 }, customer.token)).user.orders;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(0, 2));
    expect(page1.edges.map((e: any) => e.node.totalCents)).toEqual([500, 400]);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: page1.edges[0].cursor, endCursor: page1.edges[1].cursor });

    const page2 = ok(await api.gql(ORDERS_OF, { id: customer.globalId, first: 2, after: page1.pageInfo.endCursor }, customer.token)).user.orders;
    expect(page2.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(2, 4));
    expect(page2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const page3 = ok(await api.gql(ORDERS_OF, { id: customer.globalId, first: 2, after: page2.pageInfo.endCursor }, customer.token)).user.orders;
    expect(page3.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(4));
    expect(page3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true, endCursor: page3.edges[0].cursor });

    // The default page holds them all; `me { orders }` is the same connection.
    const { me } = ok(await api.gql(`{ me { orders { edges { node { id } } pageInfo { hasNextPage } } } }`, {}, customer.token));
    expect(me.orders.edges.map((e: any) => e.node.id)).toEqual(newestFirst);
    expect(me.orders.pageInfo.hasNextPage).toBe(false);
  });

  it('only lists the user’s own orders, and is empty for a user without any', async () => {
    await customerWithOrder();
    const fresh = await api.signUp();
    const { orders } = ok(await api.gql(ORDERS_OF, { id: fresh.globalId }, fresh.token)).user;
    expect(orders).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it("lets an admin list anyone's orders", async () => {
    const { customer, orderId } = await customerWithOrder();
    const { orders } = ok(await api.gql(ORDERS_OF, { id: customer.globalId }, admin.token)).user;
    expect(orders.edges.map((e: any) => e.node.id)).toEqual([orderId]);
  });

  it('refuses first out of 1..100 and a malformed after with BAD_USER_INPUT', async () => {
    const { customer } = await customerWithOrder();
    for (const first of [0, 101, -1]) {
      const res = await api.gql(ORDERS_OF, { id: customer.globalId, first }, customer.token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('100');
      expect(res.errors?.[0]?.path).toEqual(['user', 'orders']);
    }
    const res = await api.gql(ORDERS_OF, { id: customer.globalId, after: 'garbage' }, customer.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('OrderItem.product', () => {
  it('becomes null once the product is deleted; the copied name, sku and price stay', async () => {
    const { customer, product, orderId } = await customerWithOrder(900, 1);
    const before = ok(await api.gql(ORDER, { id: orderId }, customer.token)).order.items[0];
    expect(before.product).toMatchObject({ id: product.globalId });
    ok(await api.gql(DELETE_PRODUCT, { id: product.globalId }, admin.token));
    const after = ok(await api.gql(ORDER, { id: orderId }, customer.token)).order.items[0];
    expect(after).toEqual({ ...before, product: null });
  });
});

describe('node(id)', () => {
  it('User: yourself, or anyone for an admin; FORBIDDEN for another customer, UNAUTHENTICATED anonymously', async () => {
    const user = await api.signUp('Node User');
    const other = await api.signUp();
    expect(ok(await api.gql(NODE, { id: user.globalId }, user.token)).node).toMatchObject({ __typename: 'User', id: user.globalId, name: 'Node User' });
    expect(ok(await api.gql(NODE, { id: user.globalId }, admin.token)).node).toMatchObject({ __typename: 'User', id: user.globalId });
    const forbidden = await api.gql(NODE, { id: user.globalId }, other.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data).toEqual({ node: null });
    const anonymous = await api.gql(NODE, { id: user.globalId });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.data).toEqual({ node: null });
  });

  it('Product: public', async () => {
    const value = `NODE-${Date.now()}`;
    const product = await api.product({ sku: value });
    const customer = await api.signUp();
    for (const token of [undefined, customer.token, admin.token]) {
      const res = await api.gql(NODE, { id: product.globalId }, token);
      expect(ok(res).node).toEqual({ __typename: 'Product', id: product.globalId, sku: value });
    }
  });

  it('Cart: your own, or anyone’s for an admin; FORBIDDEN for another customer, UNAUTHENTICATED anonymously', async () => {
    const { customer } = await customerWithOrder();
    const product = await api.product();
    ok(await api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p, quantity: 2 }) { id } }`, { p: product.globalId }, customer.token));
    const cartId = globalId('Cart', customer.id);
    const mine = ok(await api.gql(NODE, { id: cartId }, customer.token)).node;
    expect(mine).toMatchObject({ __typename: 'Cart', id: cartId, itemCount: 2 });
    expect(ok(await api.gql(NODE, { id: cartId }, admin.token)).node).toEqual(mine);
    const other = await api.signUp();
    const forbidden = await api.gql(NODE, { id: cartId }, other.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data).toEqual({ node: null });
    const anonymous = await api.gql(NODE, { id: cartId });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The Cart id is the one User.cart gives.
    expect(ok(await api.gql(`{ me { cart { id } } }`, {}, customer.token)).me.cart.id).toBe(cartId);
  });

  it('Order: your own, or anyone’s for an admin; FORBIDDEN for another customer, UNAUTHENTICATED anonymously', async () => {
    const { customer, orderId } = await customerWithOrder(300, 3);
    const expected = { __typename: 'Order', id: orderId, totalCents: 900, user: { id: customer.globalId } };
    expect(ok(await api.gql(NODE, { id: orderId }, customer.token)).node).toEqual(expected);
    expect(ok(await api.gql(NODE, { id: orderId }, admin.token)).node).toEqual(expected);
    const other = await api.signUp();
    const forbidden = await api.gql(NODE, { id: orderId }, other.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data).toEqual({ node: null });
    const anonymous = await api.gql(NODE, { id: orderId });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('is null for ids that do not exist or are not ours (malformed, unknown type)', async () => {
    for (const id of [globalId('Product', 2_000_000_000), globalId('Order', 2_000_000_000), 'garbage', globalId('Widget', 1), globalId('Product', 0)]) {
      expect(ok(await api.gql(NODE, { id }, admin.token)), id).toEqual({ node: null });
    }
    expect(ok(await api.gql(NODE, { id: globalId('User', 2_000_000_000) }, admin.token))).toEqual({ node: null });
  });

  // Regression: node() once answered a made-up empty cart for any user id.
  it('is null for the Cart of a user that does not exist (admin)', async () => {
    // schema.graphql: "Fetches any object by its global ID; null if it does not exist".
    expect(ok(await api.gql(NODE, { id: globalId('Cart', 2_000_000_000) }, admin.token))).toEqual({ node: null });
  });
});

describe('nodes(ids)', () => {
  it('returns one result per id, in order, each type resolved', async () => {
    const { customer, product, orderId } = await customerWithOrder();
    const ids = [orderId, product.globalId, globalId('Cart', customer.id), customer.globalId, globalId('Product', 2_000_000_000), 'garbage', product.globalId];
    const res = await api.gql(NODES, { ids }, customer.token);
    expect(res.errors).toBeUndefined();
    expect(res.data.nodes).toEqual([
      { __typename: 'Order', id: orderId },
      { __typename: 'Product', id: product.globalId },
      { __typename: 'Cart', id: globalId('Cart', customer.id) },
      { __typename: 'User', id: customer.globalId },
      null,
      null,
      { __typename: 'Product', id: product.globalId },
    ]);
    expect(ok(await api.gql(NODES, { ids: [] }, customer.token))).toEqual({ nodes: [] });
  });

  it('applies the access rules per id: a denied id is null with its error at its index, the rest resolve', async () => {
    const mine = await customerWithOrder();
    const theirs = await customerWithOrder();
    const ids = [mine.customer.globalId, theirs.customer.globalId, mine.orderId, theirs.orderId, globalId('Cart', theirs.customer.id), mine.product.globalId];
    const res = await api.gql(NODES, { ids }, mine.customer.token);
    expect(res.data.nodes).toEqual([
      { __typename: 'User', id: mine.customer.globalId },
      null,
      { __typename: 'Order', id: mine.orderId },
      null,
      null,
      { __typename: 'Product', id: mine.product.globalId },
    ]);
    const errors = (res.errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.code }));
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: ['nodes', 1], code: 'FORBIDDEN' },
        { path: ['nodes', 3], code: 'FORBIDDEN' },
        { path: ['nodes', 4], code: 'FORBIDDEN' },
      ]),
    );

    // Anonymous: only the product resolves.
    const anonymous = await api.gql(NODES, { ids: [mine.customer.globalId, mine.orderId, mine.product.globalId] });
    expect(anonymous.data.nodes).toEqual([null, null, { __typename: 'Product', id: mine.product.globalId }]);
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);

    // An admin sees all of them.
    const asAdmin = await api.gql(NODES, { ids }, admin.token);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data.nodes.map((n: any) => n?.id)).toEqual(ids);
  });

  it('refuses more than 100 ids with BAD_USER_INPUT', async () => {
    const product = await api.product();
    ok(await api.gql(NODES, { ids: Array(100).fill(product.globalId) }));
    const res = await api.gql(NODES, { ids: Array(101).fill(product.globalId) });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('100');
    expect(res.data).toBeNull();
  });
});
