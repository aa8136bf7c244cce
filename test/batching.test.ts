/**
 * Batching, proved by counting: Redis round trips at the store (the only code
 * that talks to Redis) and SQL statements at Prisma's query event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntityLoader } from 'prisma-write-through/testing';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
let customer: { token: string; id: number };
let productIds: number[];
const reads: string[][] = [];

beforeAll(async () => {
  api = await startTestApi();
  const { db, store } = api.services;
  await db.product.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ sku: `BATCH-${i}`, name: `Item ${i}`, priceCents: 100 + i, stock: 5 })) });
  productIds = (await db.product.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((p) => p.id);
  customer = await api.signUp();
  await db.cartItem.createMany({ data: productIds.map((productId) => ({ cartId: customer.id, productId, quantity: 1 })) });
  // Count only what requests do: no reconciler passes or outbox cleanup in the measurements.
  await api.services.reconciler.stop();
  await api.services.outbox.flush();
  // Record the keys of every read round trip (a spy around the real store, not a mock).
  const read = store.read.bind(store);
  store.read = (keys) => {
    reads.push([...keys]);
    return read(keys);
  };
});
afterAll(() => api?.close());

const CART = `{ me { cart { totalCents items { quantity product { id name priceCents version } } } } }`;

async function measure(run: () => Promise<unknown>) {
  const { stats, dbStats } = api.services;
  reads.length = 0;
  const queries = dbStats.queries;
  await run();
  const productReads = reads.filter((keys) => keys.some((k) => k.includes(':Product:')));
  return {
    productRoundTrips: productReads.length,
    productKeys: productReads.flat().length,
    allRoundTrips: reads.length,
    dbQueries: dbStats.queries - queries,
    stats,
  };
}

describe('a cart of 50 items', () => {
  it('cold: one Redis round trip for its 50 products and one database query for the misses', async () => {
    await api.services.store.remove(productIds.map((id) => `${api.namespace}Product:${id}`));
    const m = await measure(async () => {
      const res = await api.gql(CART, {}, customer.token);
      expect(res.data.me.cart.items).toHaveLength(50);
      expect(res.data.me.cart.totalCents).toBe(productIds.reduce((sum, _, i) => sum + 100 + i, 0));
    });
    expect(m.productRoundTrips).toBe(1);
    expect(m.productKeys).toBe(50);
    // The viewer and the cart are cached already (sign-up and createMany wrote them): the only miss query is the products'.
    expect(m.dbQueries).toBe(1);
  });

  it('warm: zero database queries for the whole request, still one round trip for the products', async () => {
    const m = await measure(() => api.gql(CART, {}, customer.token));
    expect(m.dbQueries).toBe(0);
    expect(m.productRoundTrips).toBe(1);
    expect(m.allRoundTrips).toBe(3); // viewer, cart, products: one batch each
  });

  it('results come one per key, in key order, null for a missing id, with duplicates', async () => {
    const loader = createEntityLoader({
      name: 'Product',
      entity: cachedEntities.Product,
      schema: entityMetadata,
      db: api.services.db,
      store: api.services.store,
      stats: api.services.stats,
      namespace: api.namespace,
    });
    const ids = [productIds[3]!, 999999, productIds[1]!, productIds[3]!];
    const rows = await loader.loadMany(ids);
    expect(rows.map((r) => (r && !(r instanceof Error) ? r.id : null))).toEqual([productIds[3], null, productIds[1], productIds[3]]);
  });

  it('positive control: the same counter catches an N+1 (a loader that does not batch)', async () => {
    const loader = createEntityLoader({
      name: 'Product',
      entity: cachedEntities.Product,
      schema: entityMetadata,
      db: api.services.db,
      store: api.services.store,
      stats: api.services.stats,
      namespace: api.namespace,
      maxBatchSize: 1,
    });
    await api.services.store.remove(productIds.map((id) => `${api.namespace}Product:${id}`));
    const m = await measure(() => Promise.all(productIds.map((id) => loader.load(id))));
    expect(m.productRoundTrips).toBe(50);
    expect(m.dbQueries).toBe(50);
  });
});
