/**
 * Shared helpers of the api-*.test.ts files (not a test file itself: vitest
 * only collects `*.test.ts`). Everything goes over HTTP through `TestApi`.
 */
import { expect } from 'vitest';
import { TOMBSTONE_VERSION } from 'prisma-write-through';
import type { GraphQLResponse, TestApi } from './support/api.js';

export { TOMBSTONE_VERSION };

type Snapshot = Awaited<ReturnType<TestApi['snapshot']>>;

/** A global ID as the API builds them (base64url of `<Type>:<id>`), for ids that do not exist or wrong types. */
export const globalId = (type: string, id: number | string) => Buffer.from(`${type}:${id}`).toString('base64url');

/** Asserts the operation succeeded and returns its data. */
export function ok<T = any>(res: GraphQLResponse<T>): T {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  expect(res.status).toBe(200);
  expect(res.data).toBeTruthy();
  return res.data as T;
}

/** The first error's code. */
export const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

/**
 * Asserts a refused operation: no data, exactly one error with `code`, no
 * stack trace leaked, and (with `before`) the database and cache exactly as
 * they were before the request.
 */
export async function expectRefused(api: TestApi, res: GraphQLResponse, code: string, before: Snapshot) {
  expect(res.errors, `expected ${code}, got data ${JSON.stringify(res.data)}`).toBeDefined();
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]!.extensions?.code, res.errors![0]!.message).toBe(code);
  expect(res.errors![0]!.extensions).not.toHaveProperty('stacktrace');
  expect(res.data ?? null).toBeNull();
  expect(await api.snapshot()).toEqual(before);
  return res.errors![0]!;
}

/** Runs `operation` and asserts it is refused with `code` and changes nothing anywhere. */
export async function refused(api: TestApi, code: string, operation: () => Promise<GraphQLResponse>) {
  const before = await api.snapshot();
  return expectRefused(api, await operation(), code, before);
}

/**
 * Asserts the cache entry of `entity:id` holds the version (and the value's
 * version) of the database row, read without the cache extension. Returns both.
 */
export async function expectCacheInSync(api: TestApi, entity: 'User' | 'Product' | 'Cart', id: number) {
  const raw = api.services.rawDb;
  const row: any =
    entity === 'User'
      ? await raw.user.findUniqueOrThrow({
          where: { id },
          omit: { passwordHash: true },
          include: { sessions: { select: { id: true }, orderBy: { id: 'asc' } } },
        })
      : entity === 'Product'
        ? await raw.product.findUniqueOrThrow({ where: { id } })
        : await raw.cart.findUniqueOrThrow({ where: { userId: id }, include: { items: { orderBy: [{ addedAt: 'asc' }, { productId: 'asc' }] } } });
  const entry = await api.cached(entity, id);
  expect(entry, `no cache entry for ${entity}:${id}`).not.toBeNull();
  expect(entry!.version, `${entity}:${id} cached version`).toBe(row.version);
  expect(entry!.value?.version, `${entity}:${id} cached value's version`).toBe(row.version);
  // The cached value is the row as JSON (dates as ISO strings).
  expect(entry!.value).toEqual(JSON.parse(JSON.stringify(row)));
  return { row, entry: entry! };
}

/** Makes sure the viewer's own cache entry is filled (so a later refused request fills nothing). */
export async function warm(api: TestApi, token: string) {
  ok(await api.gql(`{ me { id } }`, {}, token));
}

/** A signed-up admin whose cache entry is warm. */
export async function adminUser(api: TestApi) {
  const admin = await api.admin();
  await warm(api, admin.token);
  return admin;
}

export const USER_FIELDS = `id email name role version createdAt updatedAt`;
export const PRODUCT_FIELDS = `id sku name description priceCents stock version createdAt updatedAt`;
export const CART_FIELDS = `id version updatedAt itemCount totalCents items { quantity subtotalCents product { id sku priceCents } }`;

export const ADD_TO_CART = `mutation($p: ID!, $q: Int) { addToCart(input: { productId: $p, quantity: $q }) { ${CART_FIELDS} } }`;
export const SET_QUANTITY = `mutation($p: ID!, $q: Int!) { setCartItemQuantity(input: { productId: $p, quantity: $q }) { ${CART_FIELDS} } }`;
export const REMOVE_FROM_CART = `mutation($p: ID!) { removeFromCart(productId: $p) { ${CART_FIELDS} } }`;
export const CHECKOUT = `mutation { checkout { id totalCents status items { productSku quantity } } }`;
export const DELETE_PRODUCT = `mutation($id: ID!) { deleteProduct(id: $id) { deletedProductId } }`;
export const UPDATE_PRODUCT = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { ${PRODUCT_FIELDS} } }`;

/** Puts `items` in the customer's cart and checks out; returns the order's global id. */
export async function placeOrder(api: TestApi, token: string, items: { productId: string; quantity: number }[]) {
  for (const item of items) ok(await api.gql(ADD_TO_CART, { p: item.productId, q: item.quantity }, token));
  return ok(await api.gql(CHECKOUT, {}, token)).checkout.id as string;
}
