/**
 * A request sees its own writes: after a mutation field commits, every
 * per-request memo (the viewer, every DataLoader) shows exactly what
 * committed, including entities the write changed indirectly (a cascade into
 * a cart, an aggregate's version), for the rest of the same document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';
import { ADD_TO_CART, adminUser, expectCacheInSync, ok } from './api-helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

describe('a request sees its own writes', () => {
  it('two profile writes in one document: the second is compared with the first, and both commit in order', async () => {
    const customer = await api.signUp('Original Name');
    const res = ok(
      await api.gql(
        `mutation($x: String!, $o: String!) {
          a: updateProfile(input: { name: $x }) { name version }
          b: updateProfile(input: { name: $o }) { name version }
          c: updateProfile(input: { name: $o }) { name version }
        }`,
        { x: 'Temporary Name', o: 'Original Name' },
        customer.token,
      ),
    );
    // a writes v2; b changes it back (v3); c changes nothing (still v3): versions never go backwards.
    expect(res).toEqual({
      a: { name: 'Temporary Name', version: 2 },
      b: { name: 'Original Name', version: 3 },
      c: { name: 'Original Name', version: 3 },
    });
    const { row } = await expectCacheInSync(api, 'User', customer.id);
    expect(row).toMatchObject({ name: 'Original Name', version: 3 });
  });

  it('a cascade reaches a cart this request already read: the cart read later is the one that committed', async () => {
    const admin = await adminUser(api);
    const product = await api.product({ stock: 5 });
    const res = ok(
      await api.gql(
        `mutation($p: ID!) {
          a: addToCart(input: { productId: $p, quantity: 2 }) { itemCount version }
          b: deleteProduct(id: $p) { deletedProductId }
          c: updateProfile(input: { name: "Still Admin" }) { cart { itemCount version items { quantity } } }
        }`,
        { p: product.globalId },
        admin.token,
      ),
    );
    expect(res.a.itemCount).toBe(2);
    // The delete removed the item from the cart (ON DELETE CASCADE) and bumped the cart's version.
    const { row } = await expectCacheInSync(api, 'Cart', admin.id);
    expect(row.items).toEqual([]);
    expect(res.c.cart).toEqual({ itemCount: 0, version: row.version, items: [] });
    expect(row.version).toBe(res.a.version + 1);
  });

  it('a product read before a write in the same document is read again as it committed', async () => {
    const customer = await api.signUp();
    const product = await api.product({ stock: 7 });
    ok(await api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }, customer.token));
    const res = ok(
      await api.gql(
        `mutation {
          a: setCartItemQuantity(input: { productId: "${product.globalId}", quantity: 3 }) { items { product { stock version } } }
          b: checkout { items { quantity product { stock version } } }
        }`,
        {},
        customer.token,
      ),
    );
    expect(res.a.items[0].product.stock).toBe(7);
    const { row } = await expectCacheInSync(api, 'Product', product.id);
    expect(row.stock).toBe(4);
    expect(res.b.items[0].product).toEqual({ stock: 4, version: row.version });
  });
});
