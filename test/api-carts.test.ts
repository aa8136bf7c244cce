/**
 * Carts over HTTP: User.cart, Cart.items/itemCount/totalCents,
 * CartItem.subtotalCents, and addToCart, setCartItemQuantity, removeFromCart.
 * Each change bumps the cart's version by one and the cache holds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';
import {
  ADD_TO_CART,
  CART_FIELDS,
  CHECKOUT,
  REMOVE_FROM_CART,
  SET_QUANTITY,
  UPDATE_PRODUCT,
  adminUser,
  expectCacheInSync,
  globalId,
  ok,
  refused,
} from './api-helpers.js';

let api: TestApi;
let admin: { token: string; id: number; globalId: string };
beforeAll(async () => {
  api = await startTestApi();
  admin = await adminUser(api);
});
afterAll(() => api?.close());

const MY_CART = `{ me { cart { ${CART_FIELDS} } } }`;

/** Asserts the cart returned by a mutation is the database's and the cache's, and returns its version. */
async function expectCartInSync(userId: number, returned: { version: number; itemCount: number }) {
  const { row, entry } = await expectCacheInSync(api, 'Cart', userId);
  expect(returned.version).toBe(row.version);
  expect(returned.itemCount).toBe(row.items.reduce((sum: number, i: { quantity: number }) => sum + i.quantity, 0));
  return entry;
}

describe('User.cart and Cart fields', () => {
  it('is empty for a new customer', async () => {
    const customer = await api.signUp();
    const { me } = ok(await api.gql(MY_CART, {}, customer.token));
    expect(me.cart).toMatchObject({ id: globalId('Cart', customer.id), version: 1, itemCount: 0, totalCents: 0, items: [] });
  });

  it('lists items in the order they were added, with itemCount, totalCents and subtotalCents at the current price', async () => {
    const a = await api.product({ priceCents: 250, stock: 50 });
    const b = await api.product({ priceCents: 1999, stock: 50 });
    const customer = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: a.globalId, q: 3 }, customer.token));
    ok(await api.gql(ADD_TO_CART, { p: b.globalId, q: 2 }, customer.token));
    const { cart } = ok(await api.gql(MY_CART, {}, customer.token)).me;
    expect(cart).toMatchObject({
      itemCount: 5,
      totalCents: 3 * 250 + 2 * 1999,
      items: [
        { quantity: 3, subtotalCents: 750, product: { id: a.globalId, priceCents: 250 } },
        { quantity: 2, subtotalCents: 3998, product: { id: b.globalId, priceCents: 1999 } },
      ],
    });

    // Prices are read live: a price change shows in the cart without the cart changing.
    const version = cart.version;
    ok(await api.gql(UPDATE_PRODUCT, { input: { id: a.globalId, priceCents: 300 } }, admin.token));
    await expectCacheInSync(api, 'Product', a.id);
    const after = ok(await api.gql(MY_CART, {}, customer.token)).me.cart;
    expect(after).toMatchObject({ version, totalCents: 3 * 300 + 2 * 1999, items: [{ subtotalCents: 900 }, { subtotalCents: 3998 }] });
  });
});

describe('addToCart', () => {
  it('adds a product (1 unit by default), then adds more of it: version up by 1 each time, cache in sync', async () => {
    const product = await api.product({ priceCents: 400, stock: 10 });
    const customer = await api.signUp();
    const start = (await api.cached('Cart', customer.id))!.version;

    const first = ok(await api.gql(ADD_TO_CART, { p: product.globalId }, customer.token)).addToCart;
    expect(first).toMatchObject({ id: globalId('Cart', customer.id), version: start + 1, itemCount: 1, totalCents: 400 });
    const entry = await expectCartInSync(customer.id, first);
    expect(entry.value.items).toMatchObject([{ productId: product.id, quantity: 1 }]);

    const second = ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 4 }, customer.token)).addToCart;
    expect(second).toMatchObject({ version: start + 2, itemCount: 5, totalCents: 2000, items: [{ quantity: 5, subtotalCents: 2000 }] });
    const again = await expectCartInSync(customer.id, second);
    expect(again.value.items).toMatchObject([{ productId: product.id, quantity: 5 }]);
  });

  it('refuses a quantity of 0 or 1000 (or a total above 999) with BAD_USER_INPUT', async () => {
    const product = await api.product({ stock: 5000 });
    const customer = await api.signUp();
    for (const q of [0, -1, 1000]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(ADD_TO_CART, { p: product.globalId, q }, customer.token));
      expect(error.extensions?.field).toBe('quantity');
    }
    ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 999 }, customer.token));
    const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }, customer.token));
    expect(error.message).toContain('999');
  });

  it('refuses more than the stock with OUT_OF_STOCK, counting what is already in the cart', async () => {
    const product = await api.product({ stock: 3 });
    const customer = await api.signUp();
    const error = await refused(api, 'OUT_OF_STOCK', () => api.gql(ADD_TO_CART, { p: product.globalId, q: 4 }, customer.token));
    expect(error.extensions).toMatchObject({ productId: product.globalId, available: 3 });
    ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 2 }, customer.token));
    const again = await refused(api, 'OUT_OF_STOCK', () => api.gql(ADD_TO_CART, { p: product.globalId, q: 2 }, customer.token));
    expect(again.extensions).toMatchObject({ productId: product.globalId, available: 3 });
  });

  it('refuses an unknown product with NOT_FOUND and a malformed or wrong-type id with BAD_USER_INPUT', async () => {
    const customer = await api.signUp();
    await refused(api, 'NOT_FOUND', () => api.gql(ADD_TO_CART, { p: globalId('Product', 2_000_000_000), q: 1 }, customer.token));
    for (const p of ['garbage', customer.globalId]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(ADD_TO_CART, { p, q: 1 }, customer.token));
      expect(error.extensions?.argument).toBe('productId');
    }
  });

  it('refuses an anonymous request with UNAUTHENTICATED', async () => {
    const product = await api.product();
    await refused(api, 'UNAUTHENTICATED', () => api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }));
  });
});

describe('setCartItemQuantity', () => {
  it('sets the quantity of an item: version up by 1, cache in sync', async () => {
    const product = await api.product({ priceCents: 100, stock: 20 });
    const customer = await api.signUp();
    const added = ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 5 }, customer.token)).addToCart;
    const down = ok(await api.gql(SET_QUANTITY, { p: product.globalId, q: 2 }, customer.token)).setCartItemQuantity;
    expect(down).toMatchObject({ version: added.version + 1, itemCount: 2, totalCents: 200, items: [{ quantity: 2 }] });
    await expectCartInSync(customer.id, down);
    const up = ok(await api.gql(SET_QUANTITY, { p: product.globalId, q: 20 }, customer.token)).setCartItemQuantity;
    expect(up).toMatchObject({ version: added.version + 2, itemCount: 20, totalCents: 2000 });
    const entry = await expectCartInSync(customer.id, up);
    expect(entry.value.items).toMatchObject([{ productId: product.id, quantity: 20 }]);
  });

  it('refuses a quantity of 0 or 1000 with BAD_USER_INPUT', async () => {
    const product = await api.product({ stock: 5000 });
    const customer = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }, customer.token));
    for (const q of [0, -3, 1000]) {
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(SET_QUANTITY, { p: product.globalId, q }, customer.token));
      expect(error.extensions?.field).toBe('quantity');
    }
  });

  it('refuses more than the stock with OUT_OF_STOCK', async () => {
    const product = await api.product({ stock: 4 });
    const customer = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }, customer.token));
    const error = await refused(api, 'OUT_OF_STOCK', () => api.gql(SET_QUANTITY, { p: product.globalId, q: 5 }, customer.token));
    expect(error.extensions).toMatchObject({ productId: product.globalId, available: 4 });
  });

  it('refuses a product that is not in the cart, or does not exist, with NOT_FOUND', async () => {
    const product = await api.product();
    const customer = await api.signUp();
    const error = await refused(api, 'NOT_FOUND', () => api.gql(SET_QUANTITY, { p: product.globalId, q: 1 }, customer.token));
    expect(error.message).toContain('not in your cart');
    await refused(api, 'NOT_FOUND', () => api.gql(SET_QUANTITY, { p: globalId('Product', 2_000_000_000), q: 1 }, customer.token));
  });

  it('refuses an anonymous request with UNAUTHENTICATED', async () => {
    const product = await api.product();
    await refused(api, 'UNAUTHENTICATED', () => api.gql(SET_QUANTITY, { p: product.globalId, q: 1 }));
  });
});

describe('removeFromCart', () => {
  it('removes an item: version up by 1, cache in sync', async () => {
    const a = await api.product({ priceCents: 100 });
    const b = await api.product({ priceCents: 10 });
    const customer = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: a.globalId, q: 2 }, customer.token));
    const added = ok(await api.gql(ADD_TO_CART, { p: b.globalId, q: 3 }, customer.token)).addToCart;
    const removed = ok(await api.gql(REMOVE_FROM_CART, { p: a.globalId }, customer.token)).removeFromCart;
    expect(removed).toMatchObject({ version: added.version + 1, itemCount: 3, totalCents: 30, items: [{ product: { id: b.globalId } }] });
    const entry = await expectCartInSync(customer.id, removed);
    expect(entry.value.items).toMatchObject([{ productId: b.id, quantity: 3 }]);

    const empty = ok(await api.gql(REMOVE_FROM_CART, { p: b.globalId }, customer.token)).removeFromCart;
    expect(empty).toMatchObject({ version: added.version + 2, itemCount: 0, totalCents: 0, items: [] });
    await expectCartInSync(customer.id, empty);
  });

  it('refuses an item that is not in the cart with NOT_FOUND', async () => {
    const inCart = await api.product();
    const notInCart = await api.product();
    const customer = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: inCart.globalId, q: 1 }, customer.token));
    const error = await refused(api, 'NOT_FOUND', () => api.gql(REMOVE_FROM_CART, { p: notInCart.globalId }, customer.token));
    expect(error.message).toContain(notInCart.globalId);
    // Another customer's item is not in your cart either.
    const other = await api.signUp();
    await refused(api, 'NOT_FOUND', () => api.gql(REMOVE_FROM_CART, { p: inCart.globalId }, other.token));
  });

  it('refuses a malformed id with BAD_USER_INPUT and an anonymous request with UNAUTHENTICATED', async () => {
    const product = await api.product();
    const customer = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }, customer.token));
    await refused(api, 'BAD_USER_INPUT', () => api.gql(REMOVE_FROM_CART, { p: 'garbage' }, customer.token));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(REMOVE_FROM_CART, { p: product.globalId }));
  });
});

describe('checkout', () => {
  it('refuses an anonymous request with UNAUTHENTICATED', async () => {
    await refused(api, 'UNAUTHENTICATED', () => api.gql(CHECKOUT));
  });
});

describe('money sums beyond 32 bits', () => {
  // Regression: totals were GraphQL Int (32-bit) and Order.totalCents a PostgreSQL integer:
  // 22 units at 100,000,000 cents committed, then failed to answer. Sums are SafeInt/BIGINT now.
  it('adds, shows and checks out a cart whose total exceeds 2^31 exactly', async () => {
    const product = await api.product({ priceCents: 100_000_000, stock: 100 });
    const customer = await api.signUp();
    const added = await api.gql(
      `mutation($p: ID!, $q: Int) { addToCart(input: { productId: $p, quantity: $q }) { totalCents items { subtotalCents } } }`,
      { p: product.globalId, q: 22 },
      customer.token,
    );
    expect(added.errors).toBeUndefined();
    expect(added.data.addToCart).toEqual({ totalCents: 2_200_000_000, items: [{ subtotalCents: 2_200_000_000 }] });
    const order = await api.gql(`mutation { checkout { totalCents items { subtotalCents } } }`, {}, customer.token);
    expect(order.errors).toBeUndefined();
    expect(order.data.checkout).toEqual({ totalCents: 2_200_000_000, items: [{ subtotalCents: 2_200_000_000 }] });
  });
});
