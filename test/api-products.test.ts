/**
 * The catalog over HTTP: product(id), products (pagination), and the admin
 * mutations createProduct, updateProduct, deleteProduct and adjustStock.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOf, startTestApi, type TestApi } from './support/api.js';
import {
  ADD_TO_CART,
  DELETE_PRODUCT,
  PRODUCT_FIELDS,
  TOMBSTONE_VERSION,
  UPDATE_PRODUCT,
  adminUser,
  expectCacheInSync,
  globalId,
  ok,
  placeOrder,
  refused,
} from './api-helpers.js';

let api: TestApi;
let admin: { token: string; id: number; globalId: string };
beforeAll(async () => {
  api = await startTestApi();
  admin = await adminUser(api);
});
afterAll(() => api?.close());

const sku = (prefix = 'P') => `${prefix}-${randomBytes(4).toString('hex')}`.toUpperCase();

const PRODUCT = `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`;
const PRODUCTS = `query($first: Int, $after: String) {
  products(first: $first, after: $after) { edges { cursor node { id sku } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
}`;
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} } }`;
const ADJUST = `mutation($p: ID!, $d: Int!) { adjustStock(input: { productId: $p, delta: $d }) { ${PRODUCT_FIELDS} } }`;

/** Every product of the catalog, walking the pages. */
async function wholeCatalog() {
  const edges: { cursor: string; node: { id: string; sku: string } }[] = [];
  let after: string | null = null;
  for (;;) {
    const { products }: { products: any } = ok(await api.gql(PRODUCTS, { first: 100, after }));
    edges.push(...products.edges);
    if (!products.pageInfo.hasNextPage) return edges;
    after = products.pageInfo.endCursor;
  }
}

describe('product(id)', () => {
  it('is public: anonymous requests see every field', async () => {
    const created = ok(
      await api.gql(CREATE, { input: { sku: sku(), name: 'Lamp', description: 'A lamp', priceCents: 4599, stock: 7 } }, admin.token),
    ).createProduct;
    const { product } = ok(await api.gql(PRODUCT, { id: created.id }));
    expect(product).toEqual(created);
    expect(product).toMatchObject({ name: 'Lamp', description: 'A lamp', priceCents: 4599, stock: 7, version: 1 });
  });

  it('is null for an id that does not exist', async () => {
    expect(ok(await api.gql(PRODUCT, { id: globalId('Product', 2_000_000_000) }))).toEqual({ product: null });
  });

  it('refuses a malformed id or an id of another type with BAD_USER_INPUT', async () => {
    const customer = await api.signUp();
    for (const id of ['garbage', globalId('Product', -1), customer.globalId]) {
      const res = await api.gql(PRODUCT, { id });
      expect(res.errors?.[0]?.extensions?.code, id).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('must be a Product ID');
      expect(res.data).toEqual({ product: null });
    }
  });
});

describe('products', () => {
  it('pages through the catalog in creation order with first/after and pageInfo', async () => {
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) mine.push((await api.product({ sku: sku(`PAGE${i}`) })).globalId);
    // Start right before the first of ours (other tests of this file made products earlier).
    const catalog = await wholeCatalog();
    const at = catalog.findIndex((e) => e.node.id === mine[0]);
    expect(catalog.slice(at).map((e) => e.node.id)).toEqual(mine);
    const start = at === 0 ? null : catalog[at - 1]!.cursor;

    const page1 = ok(await api.gql(PRODUCTS, { first: 3, after: start })).products;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual(mine.slice(0, 3));
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: start !== null });
    expect(page1.pageInfo.startCursor).toBe(page1.edges[0].cursor);
    expect(page1.pageInfo.endCursor).toBe(page1.edges[2].cursor);

    const page2 = ok(await api.gql(PRODUCTS, { first: 3, after: page1.pageInfo.endCursor })).products;
    expect(page2.edges.map((e: any) => e.node.id)).toEqual(mine.slice(3, 6));
    expect(page2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true, endCursor: page2.edges[2].cursor });

    const page3 = ok(await api.gql(PRODUCTS, { first: 3, after: page2.pageInfo.endCursor })).products;
    expect(page3.edges.map((e: any) => e.node.id)).toEqual(mine.slice(6));
    expect(page3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true, endCursor: page3.edges[0].cursor });

    // After the last one: an empty page.
    const past = ok(await api.gql(PRODUCTS, { first: 3, after: page3.pageInfo.endCursor })).products;
    expect(past).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null } });
  });

  it('returns 20 by default', async () => {
    for (let i = 0; i < 21; i++) await api.product();
    const { products } = ok(await api.gql(`{ products { edges { node { id } } pageInfo { hasNextPage } } }`));
    expect(products.edges).toHaveLength(20);
    expect(products.pageInfo.hasNextPage).toBe(true);
  });

  it('refuses first: 0, first: 101 and first: -1 with BAD_USER_INPUT mentioning the cap of 100', async () => {
    for (const first of [0, 101, -1]) {
      const res = await api.gql(PRODUCTS, { first });
      expect(res.errors?.[0]?.extensions?.code, `first: ${first}`).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('100');
      expect(res.errors?.[0]?.extensions?.argument).toBe('first');
      expect(res.data).toBeNull();
    }
    // The cap itself is fine.
    ok(await api.gql(PRODUCTS, { first: 100 }));
  });

  it('refuses a malformed after with BAD_USER_INPUT', async () => {
    const product = await api.product();
    for (const after of ['garbage', product.globalId, Buffer.from('cursor:0').toString('base64url'), Buffer.from('cursor:abc').toString('base64url')]) {
      const res = await api.gql(PRODUCTS, { first: 2, after });
      expect(res.errors?.[0]?.extensions?.code, after).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.argument).toBe('after');
      expect(res.data).toBeNull();
    }
  });
});

describe('createProduct', () => {
  it('lets an admin create a product (sku upper-cased, defaults applied) and caches it at its database version', async () => {
    const value = sku('new').toLowerCase();
    const { createProduct } = ok(await api.gql(CREATE, { input: { sku: ` ${value} `, name: ' Chair ', priceCents: 0 } }, admin.token));
    expect(createProduct).toMatchObject({ sku: value.toUpperCase(), name: 'Chair', description: '', priceCents: 0, stock: 0, version: 1 });
    const { row } = await expectCacheInSync(api, 'Product', idOf(createProduct.id));
    expect(row).toMatchObject({ sku: value.toUpperCase(), version: 1 });
    expect(ok(await api.gql(PRODUCT, { id: createProduct.id })).product).toEqual(createProduct);
  });

  it('refuses a customer with FORBIDDEN and an anonymous request with UNAUTHENTICATED', async () => {
    const customer = await api.signUp();
    const input = { sku: sku(), name: 'Nope', priceCents: 100 };
    await refused(api, 'FORBIDDEN', () => api.gql(CREATE, { input }, customer.token));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(CREATE, { input }));
  });

  it('refuses invalid input with BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sku: 'has space' }, 'sku'],
      [{ sku: '-LEADING-DASH' }, 'sku'],
      [{ sku: '' }, 'sku'],
      [{ sku: 'A'.repeat(33) }, 'sku'],
      [{ sku: 'UNDER_SCORE' }, 'sku'],
      [{ priceCents: -1 }, 'priceCents'],
      [{ priceCents: 100_000_001 }, 'priceCents'],
      [{ stock: -1 }, 'stock'],
      [{ stock: 1_000_001 }, 'stock'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ description: 'x'.repeat(5001) }, 'description'],
    ];
    for (const [change, field] of cases) {
      const input = { sku: sku(), name: 'Invalid', priceCents: 100, ...change };
      const error = await refused(api, 'BAD_USER_INPUT', () => api.gql(CREATE, { input }, admin.token));
      expect(error.extensions?.field, JSON.stringify(change)).toBe(field);
      expect(error.message.startsWith(field)).toBe(true);
    }
  });

  it('refuses a sku that is taken (in any case) with CONFLICT', async () => {
    const taken = sku('TAKEN');
    await api.product({ sku: taken });
    const error = await refused(api, 'CONFLICT', () => api.gql(CREATE, { input: { sku: taken.toLowerCase(), name: 'Twin', priceCents: 100 } }, admin.token));
    expect(error.message).toContain(taken);
  });
});

describe('updateProduct', () => {
  it('lets an admin change fields: version up by 1, cache holds the new version', async () => {
    const product = await api.product({ priceCents: 1000 });
    const { updateProduct } = ok(
      await api.gql(UPDATE_PRODUCT, { input: { id: product.globalId, name: 'Renamed', priceCents: 1250, description: '' } }, admin.token),
    );
    expect(updateProduct).toMatchObject({ id: product.globalId, name: 'Renamed', priceCents: 1250, version: 2 });
    const { entry } = await expectCacheInSync(api, 'Product', product.id);
    expect(entry.value).toMatchObject({ name: 'Renamed', priceCents: 1250, version: 2 });

    const newSku = sku('renamed').toLowerCase();
    const again = ok(await api.gql(UPDATE_PRODUCT, { input: { id: product.globalId, sku: newSku } }, admin.token)).updateProduct;
    expect(again).toMatchObject({ sku: newSku.toUpperCase(), name: 'Renamed', version: 3 });
    await expectCacheInSync(api, 'Product', product.id);
    expect(ok(await api.gql(PRODUCT, { id: product.globalId })).product).toEqual(again);
  });

  it('refuses a customer with FORBIDDEN and an anonymous request with UNAUTHENTICATED', async () => {
    const product = await api.product();
    const customer = await api.signUp();
    const input = { id: product.globalId, name: 'Hijacked' };
    await refused(api, 'FORBIDDEN', () => api.gql(UPDATE_PRODUCT, { input }, customer.token));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(UPDATE_PRODUCT, { input }));
  });

  it('refuses an unknown product with NOT_FOUND, and an id of another type with BAD_USER_INPUT', async () => {
    const id = globalId('Product', 2_000_000_000);
    const error = await refused(api, 'NOT_FOUND', () => api.gql(UPDATE_PRODUCT, { input: { id, name: 'Ghost' } }, admin.token));
    expect(error.message).toContain(id);
    await refused(api, 'BAD_USER_INPUT', () => api.gql(UPDATE_PRODUCT, { input: { id: admin.globalId, name: 'Ghost' } }, admin.token));
  });

  it('refuses invalid input and empty changes with BAD_USER_INPUT', async () => {
    const product = await api.product();
    for (const change of [{ sku: 'bad sku' }, { priceCents: -5 }, { name: '' }, { description: 'x'.repeat(5001) }, {}, { name: null, sku: null }]) {
      await refused(api, 'BAD_USER_INPUT', () => api.gql(UPDATE_PRODUCT, { input: { id: product.globalId, ...change } }, admin.token));
    }
  });

  it('refuses the sku of another product with CONFLICT', async () => {
    const taken = sku('OTHER');
    await api.product({ sku: taken });
    const product = await api.product();
    const error = await refused(api, 'CONFLICT', () =>
      api.gql(UPDATE_PRODUCT, { input: { id: product.globalId, sku: taken, name: 'Also renamed' } }, admin.token),
    );
    expect(error.message).toContain(taken);
  });
});

describe('deleteProduct', () => {
  it('deletes the product and leaves a tombstone, so product(id) is null and products no longer lists it', async () => {
    const product = await api.product();
    expect(ok(await api.gql(DELETE_PRODUCT, { id: product.globalId }, admin.token))).toEqual({
      deleteProduct: { deletedProductId: product.globalId },
    });
    expect(await api.services.rawDb.product.findUnique({ where: { id: product.id } })).toBeNull();
    expect(await api.cached('Product', product.id)).toEqual({ version: TOMBSTONE_VERSION, value: null });
    expect(ok(await api.gql(PRODUCT, { id: product.globalId }))).toEqual({ product: null });
    expect((await wholeCatalog()).map((e) => e.node.id)).not.toContain(product.globalId);
  });

  it('removes the product from every cart that held it: the carts’ cache entries drop it and their versions go up', async () => {
    const doomed = await api.product({ priceCents: 300 });
    const kept = await api.product({ priceCents: 50 });
    const a = await api.signUp();
    const b = await api.signUp();
    const bystander = await api.signUp();
    ok(await api.gql(ADD_TO_CART, { p: doomed.globalId, q: 2 }, a.token));
    ok(await api.gql(ADD_TO_CART, { p: kept.globalId, q: 1 }, a.token));
    ok(await api.gql(ADD_TO_CART, { p: doomed.globalId, q: 1 }, b.token));
    ok(await api.gql(ADD_TO_CART, { p: kept.globalId, q: 4 }, bystander.token));
    const versions = await Promise.all([a, b, bystander].map(async (u) => (await api.cached('Cart', u.id))!.version));

    ok(await api.gql(DELETE_PRODUCT, { id: doomed.globalId }, admin.token));

    const cartA = await expectCacheInSync(api, 'Cart', a.id);
    expect(cartA.entry.value.items.map((i: any) => i.productId)).toEqual([kept.id]);
    expect(cartA.entry.version).toBe(versions[0]! + 1);
    const cartB = await expectCacheInSync(api, 'Cart', b.id);
    expect(cartB.entry.value.items).toEqual([]);
    expect(cartB.entry.version).toBe(versions[1]! + 1);
    // A cart without the product is left alone.
    const other = await expectCacheInSync(api, 'Cart', bystander.id);
    expect(other.entry.version).toBe(versions[2]);

    const { me } = ok(await api.gql(`{ me { cart { itemCount totalCents items { quantity product { id } } } } }`, {}, a.token));
    expect(me.cart).toEqual({ itemCount: 1, totalCents: 50, items: [{ quantity: 1, product: { id: kept.globalId } }] });
  });

  it('keeps past orders: their lines keep the copy of the product', async () => {
    const product = await api.product({ sku: sku('ORDERED'), name: 'Ordered Thing', priceCents: 700 });
    const customer = await api.signUp();
    const orderId = await placeOrder(api, customer.token, [{ productId: product.globalId, quantity: 2 }]);
    ok(await api.gql(DELETE_PRODUCT, { id: product.globalId }, admin.token));
    const { order } = ok(
      await api.gql(
        `query($id: ID!) { order(id: $id) { totalCents items { product { id } productName unitPriceCents quantity } } }`,
        { id: orderId },
        customer.token,
      ),
    );
    expect(order).toEqual({ totalCents: 1400, items: [{ product: null, productName: 'Ordered Thing', unitPriceCents: 700, quantity: 2 }] });
  });

  it('refuses a customer with FORBIDDEN and an anonymous request with UNAUTHENTICATED', async () => {
    const product = await api.product();
    const customer = await api.signUp();
    await refused(api, 'FORBIDDEN', () => api.gql(DELETE_PRODUCT, { id: product.globalId }, customer.token));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(DELETE_PRODUCT, { id: product.globalId }));
  });

  it('refuses an unknown (or already deleted) product with NOT_FOUND and a malformed id with BAD_USER_INPUT', async () => {
    await refused(api, 'NOT_FOUND', () => api.gql(DELETE_PRODUCT, { id: globalId('Product', 2_000_000_000) }, admin.token));
    const product = await api.product();
    ok(await api.gql(DELETE_PRODUCT, { id: product.globalId }, admin.token));
    await refused(api, 'NOT_FOUND', () => api.gql(DELETE_PRODUCT, { id: product.globalId }, admin.token));
    await refused(api, 'BAD_USER_INPUT', () => api.gql(DELETE_PRODUCT, { id: 'garbage' }, admin.token));
  });
});

describe('adjustStock', () => {
  it('lets an admin add and remove stock: version up by 1 each time, cache in sync', async () => {
    const product = await api.product({ stock: 10 });
    expect(ok(await api.gql(ADJUST, { p: product.globalId, d: 5 }, admin.token)).adjustStock).toMatchObject({ stock: 15, version: 2 });
    await expectCacheInSync(api, 'Product', product.id);
    expect(ok(await api.gql(ADJUST, { p: product.globalId, d: -15 }, admin.token)).adjustStock).toMatchObject({ stock: 0, version: 3 });
    const { row } = await expectCacheInSync(api, 'Product', product.id);
    expect(row.stock).toBe(0);
  });

  it('refuses going below 0 with OUT_OF_STOCK and the available stock', async () => {
    const product = await api.product({ stock: 3 });
    const error = await refused(api, 'OUT_OF_STOCK', () => api.gql(ADJUST, { p: product.globalId, d: -4 }, admin.token));
    expect(error.extensions).toMatchObject({ code: 'OUT_OF_STOCK', productId: product.globalId, available: 3 });
  });

  it('refuses a delta of 0 or beyond the stock limit with BAD_USER_INPUT', async () => {
    const product = await api.product({ stock: 3 });
    for (const d of [0, 1_000_001, -1_000_001, 1_000_000]) {
      await refused(api, 'BAD_USER_INPUT', () => api.gql(ADJUST, { p: product.globalId, d }, admin.token));
    }
  });

  it('refuses an unknown product with NOT_FOUND', async () => {
    await refused(api, 'NOT_FOUND', () => api.gql(ADJUST, { p: globalId('Product', 2_000_000_000), d: 1 }, admin.token));
    await refused(api, 'NOT_FOUND', () => api.gql(ADJUST, { p: globalId('Product', 2_000_000_000), d: -1 }, admin.token));
  });

  it('refuses a customer with FORBIDDEN and an anonymous request with UNAUTHENTICATED', async () => {
    const product = await api.product({ stock: 3 });
    const customer = await api.signUp();
    await refused(api, 'FORBIDDEN', () => api.gql(ADJUST, { p: product.globalId, d: 1 }, customer.token));
    await refused(api, 'UNAUTHENTICATED', () => api.gql(ADJUST, { p: product.globalId, d: 1 }));
  });
});
