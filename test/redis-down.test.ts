/**
 * Redis unreachable: queries answer correctly (and fast) from PostgreSQL;
 * mutations follow the write policy (`fail`: refused, nothing committed;
 * `repair`: committed, and the reconciler repairs the cache once Redis is
 * back). Uses a Redis server of its own on a free port.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';
import { freePort, startRedis, stopRedis as stop } from './support/redis-server.js';

let api: TestApi;
let repairing: TestApi;
let redis: ChildProcess;
let port: number;

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  // Two APIs on the same PostgreSQL database would need one harness; two databases keep them apart.
  api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${port}` });
  repairing = await startTestApi({
    REDIS_URL: `redis://127.0.0.1:${port}`,
    CACHE_WRITE_POLICY: 'repair',
    OUTBOX_REPLAY_AFTER_MS: '0',
    RECONCILE_INTERVAL_MS: '100',
  });
});
afterAll(async () => {
  await api?.close();
  await repairing?.close();
  if (redis) await stop(redis);
});

const PRODUCT = `query($id: ID!) { product(id: $id) { name priceCents version } }`;
const CART = `{ me { name cart { itemCount items { product { name } } } } }`;
const UPDATE = `mutation($id: ID!, $price: Int) { updateProduct(input: { id: $id, priceCents: $price }) { priceCents version } }`;

describe('when Redis is unreachable', () => {
  it('queries answer from PostgreSQL fast; under the default policy (fail) mutations are refused and change nothing', async () => {
    const product = await api.product({ name: 'Lamp', priceCents: 4200 });
    const admin = await api.admin();
    const customer = await api.signUp('Cara');
    await api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p }) { version } }`, { p: product.globalId }, customer.token);
    await api.gql(`{ me { id } }`, {}, admin.token);
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ name: 'Lamp', version: 1 });

    await stop(redis);
    const { stats } = api.services;
    // Failed reads, or reads the epoch fence answered as misses without trying (the connection closed).
    const failuresBefore = stats.readFailures + stats.fencedReads;

    const started = Date.now();
    const read = await api.gql(PRODUCT, { id: product.globalId });
    expect(read.errors).toBeUndefined();
    expect(read.data.product).toEqual({ name: 'Lamp', priceCents: 4200, version: 1 });
    const cart = await api.gql(CART, {}, customer.token);
    expect(cart.data.me).toEqual({ name: 'Cara', cart: { itemCount: 1, items: [{ product: { name: 'Lamp' } }] } });
    expect(stats.readFailures + stats.fencedReads).toBeGreaterThan(failuresBefore);
    // Fail fast: no command queueing behind a dead connection (generous bound for a noisy machine).
    expect(Date.now() - started).toBeLessThan(3000);

    // The circuit breaker: after a few failures in a row, requests stop trying Redis at all.
    const attempts = stats.readRoundTrips;
    for (let i = 0; i < 10; i++) expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ version: 1 });
    expect(stats.readRoundTrips - attempts).toBeLessThanOrEqual(3);

    const before = await api.services.rawDb.product.findUniqueOrThrow({ where: { id: product.id } });
    const refused = await api.gql(UPDATE, { id: product.globalId, price: 3900 }, admin.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('CACHE_UNAVAILABLE');
    expect(refused.errors?.[0]?.message).toMatch(/not made/);
    expect(await api.services.rawDb.product.findUniqueOrThrow({ where: { id: product.id } })).toEqual(before);

    // Redis back (empty, as after a restart): reads fill it and hit it again; writes work again.
    redis = await startRedis(port);
    await expect
      .poll(
        () =>
          api.services.store.ping().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    await expect
      .poll(async () => (await api.gql(UPDATE, { id: product.globalId, price: 3900 }, admin.token)).data?.updateProduct, { timeout: 10_000 })
      .toEqual({ priceCents: 3900, version: 2 });
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ priceCents: 3900, version: 2 });
    const hits = stats.hits;
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ priceCents: 3900, version: 2 });
    expect(stats.hits).toBeGreaterThan(hits);
    expect(await api.cached('Product', product.id)).toMatchObject({ version: 2 });
  });

  it('under the repair policy, mutations commit and the reconciler repairs the cache once Redis is back', async () => {
    const product = await repairing.product({ name: 'Desk', priceCents: 10000 });
    const admin = await repairing.admin();
    await repairing.gql(`{ me { id } }`, {}, admin.token);

    await stop(redis);
    const update = await repairing.gql(UPDATE, { id: product.globalId, price: 9000 }, admin.token);
    expect(update.errors).toBeUndefined();
    expect(update.data.updateProduct).toEqual({ priceCents: 9000, version: 2 });
    expect(repairing.services.stats.writeFailures + repairing.services.stats.leaseFailures).toBeGreaterThan(0);
    expect((await repairing.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ priceCents: 9000, version: 2 });
    expect((await repairing.services.outbox.backlog(repairing.services.rawDb)).rows).toBeGreaterThan(0);

    redis = await startRedis(port);
    // The outbox drains, and the cache holds the committed version.
    await expect.poll(async () => (await repairing.services.outbox.backlog(repairing.services.rawDb)).rows, { timeout: 10_000 }).toBe(0);
    expect(await repairing.cached('Product', product.id)).toMatchObject({ version: 2, value: { priceCents: 9000 } });
  });
});
