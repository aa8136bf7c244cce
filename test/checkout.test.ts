import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const ADD = `mutation($p: ID!, $q: Int) { addToCart(input: { productId: $p, quantity: $q }) { version itemCount } }`;
const CHECKOUT = `mutation { checkout { id totalCents status items { productSku quantity unitPriceCents subtotalCents } } }`;

describe('checkout', () => {
  it('decrements stock, creates the order, empties the cart, and the cache holds the new versions', async () => {
    const a = await api.product({ priceCents: 250, stock: 5 });
    const b = await api.product({ priceCents: 1000, stock: 1 });
    const customer = await api.signUp();
    await api.gql(ADD, { p: a.globalId, q: 3 }, customer.token);
    await api.gql(ADD, { p: b.globalId, q: 1 }, customer.token);

    const res = await api.gql(CHECKOUT, {}, customer.token);
    expect(res.errors).toBeUndefined();
    expect(res.data.checkout).toMatchObject({ totalCents: 3 * 250 + 1000, status: 'PLACED' });
    expect(res.data.checkout.items.map((i: any) => i.quantity)).toEqual([3, 1]);

    // After the mutation returned, Redis already holds the committed versions.
    const [rowA, rowB, cart] = await Promise.all([
      api.services.rawDb.product.findUniqueOrThrow({ where: { id: a.id } }),
      api.services.rawDb.product.findUniqueOrThrow({ where: { id: b.id } }),
      api.services.rawDb.cart.findUniqueOrThrow({ where: { userId: customer.id }, include: { items: true } }),
    ]);
    expect(rowA.stock).toBe(2);
    expect(rowB.stock).toBe(0);
    expect(cart.items).toEqual([]);
    expect(await api.cached('Product', a.id)).toMatchObject({ version: rowA.version, value: { stock: 2 } });
    expect(await api.cached('Product', b.id)).toMatchObject({ version: rowB.version, value: { stock: 0 } });
    expect(await api.cached('Cart', customer.id)).toMatchObject({ version: cart.version, value: { items: [] } });
  });

  it('when one item is short, changes nothing anywhere and names the item', async () => {
    const plenty = await api.product({ sku: 'PLENTY-1', stock: 100 });
    const scarce = await api.product({ sku: 'SCARCE-1', stock: 2 });
    const customer = await api.signUp();
    await api.gql(ADD, { p: plenty.globalId, q: 5 }, customer.token);
    await api.gql(ADD, { p: scarce.globalId, q: 2 }, customer.token);
    // Someone else buys the scarce stock in the meantime.
    const admin = await api.admin();
    await api.gql(`mutation($p: ID!) { adjustStock(input: { productId: $p, delta: -1 }) { stock } }`, { p: scarce.globalId }, admin.token);

    const before = await api.snapshot();
    const res = await api.gql(CHECKOUT, {}, customer.token);
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'OUT_OF_STOCK', productId: scarce.globalId, sku: 'SCARCE-1', requested: 2, available: 1 });
    expect(res.errors?.[0]?.message).toContain('SCARCE-1');
    // Database and cache exactly as before: the first item's decrement was rolled back and never cached.
    expect(await api.snapshot()).toEqual(before);
  });

  it('refuses an empty cart without changing anything', async () => {
    const customer = await api.signUp();
    const before = await api.snapshot();
    const res = await api.gql(CHECKOUT, {}, customer.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/cart is empty/);
    expect(await api.snapshot()).toEqual(before);
  });

  it('serializes two concurrent checkouts of one cart: one order, stock decremented once', async () => {
    const p = await api.product({ stock: 10 });
    const customer = await api.signUp();
    await api.gql(ADD, { p: p.globalId, q: 4 }, customer.token);
    const results = await Promise.all([api.gql(CHECKOUT, {}, customer.token), api.gql(CHECKOUT, {}, customer.token)]);
    expect(results.filter((r) => r.data?.checkout).length).toBe(1);
    expect(results.find((r) => r.errors)?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const row = await api.services.rawDb.product.findUniqueOrThrow({ where: { id: p.id } });
    expect(row.stock).toBe(6);
    expect(await api.cached('Product', p.id)).toMatchObject({ version: row.version, value: { stock: 6 } });
  });
});
