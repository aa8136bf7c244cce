/**
 * Each race of docs/write-through-protocol.md, made deterministic with
 * explicit pause points (the write-through's `afterCommit` hook, the loader's
 * `afterDatabaseRead` hook) instead of sleeps. Every race runs twice: with its
 * remedy, where the cache must stay right, and with the remedy switched off,
 * where the race must show, proving the remedy is what closes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, createReconciler, type CacheStore } from 'prisma-write-through';
// Every race runs with its remedy on and off: the switches of the testing entry.
import {
  createEntityLoader,
  createRedisStore,
  once,
  pausePoint as gate,
  withWriteThrough,
  type PausePoint,
  type WriteThroughTestingOptions as WriteThroughOptions,
} from 'prisma-write-through/testing';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { createRedisClient } from '../src/db/redis.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
let seq = 0;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

interface Remedies {
  compareAndSet?: boolean;
  leases?: boolean;
  tombstones?: boolean;
  outbox?: boolean;
  trackBulkWrites?: boolean;
}

/** A store over the test API's Redis (no circuit breaker), with compare-and-set on or off. */
function storeFor(remedies: Remedies, target: TestApi = api): CacheStore {
  return createRedisStore({ redis: target.services.redis!, stats: target.services.stats, compareAndSet: remedies.compareAndSet ?? true });
}

/** A write-through client on the test database, with the given remedies and hooks. */
function writer(remedies: Remedies, extra: Partial<WriteThroughOptions> = {}, target: TestApi = api) {
  const store = storeFor(remedies, target);
  const outbox = remedies.outbox === false ? null : createOutbox(target.services.rawDb);
  const db = withWriteThrough(target.services.rawDb, {
    entities: cachedEntities,
    schema: entityMetadata,
    store,
    stats: target.services.stats,
    namespace: target.namespace,
    outbox,
    leaseMs: 300,
    remedies: { leases: remedies.leases, tombstones: remedies.tombstones, trackBulkWrites: remedies.trackBulkWrites },
    ...extra,
  }) as PrismaClient;
  const reconciler = outbox
    ? createReconciler({
        db: target.services.rawDb,
        outbox,
        entities: cachedEntities,
        schema: entityMetadata,
        store,
        stats: target.services.stats,
        namespace: target.namespace,
      })
    : null;
  return { db, store, outbox, reconciler };
}

/** A product reader whose misses pause after the database read, before the fill. */
function pausingReader(remedies: Remedies, pause: PausePoint) {
  return createEntityLoader({
    name: 'Product',
    entity: cachedEntities.Product,
    schema: entityMetadata,
    db: api.services.rawDb,
    store: storeFor(remedies),
    stats: api.services.stats,
    namespace: api.namespace,
    hooks: { afterDatabaseRead: once(() => pause.wait()) },
  });
}

/** What a fresh request would answer for a product. */
async function freshRead(id: number) {
  const loader = createEntityLoader({
    name: 'Product',
    entity: cachedEntities.Product,
    schema: entityMetadata,
    db: api.services.rawDb,
    store: storeFor({}),
    stats: api.services.stats,
    namespace: api.namespace,
  });
  return loader.load(id);
}

/** A product inserted directly (no cache entry, no outbox row), so each race starts clean. */
async function newProduct(price = 100) {
  return api.services.rawDb.product.create({ data: { sku: `RACE-${++seq}`, name: `Race ${seq}`, priceCents: price, stock: 10 } });
}

const productKey = (id: number) => `${api.namespace}Product:${id}`;

describe('out-of-order writers: T1 commits v2, T2 commits v3 and publishes, then T1 publishes', () => {
  async function race(remedies: Remedies) {
    const product = await newProduct();
    const t1Paused = gate();
    const t1 = writer(remedies, { hooks: { afterCommit: once(() => t1Paused.wait()) } });
    const t2 = writer(remedies);
    // (Prisma queries are lazy: `.then` starts them.)
    const first = t1.db.product.update({ where: { id: product.id }, data: { priceCents: 201 } }).then((row) => row);
    await t1Paused.reached; // T1 committed v2 and is about to publish
    await t2.db.product.update({ where: { id: product.id }, data: { priceCents: 302 } }); // v3, published
    t1Paused.open();
    await first;
    return api.cached('Product', product.id);
  }

  it('with compare-and-set, the cache keeps v3', async () => {
    expect(await race({})).toMatchObject({ version: 3, value: { priceCents: 302 } });
  });

  it('without it, the late writer leaves v2 behind (the race shows)', async () => {
    expect(await race({ compareAndSet: false })).toMatchObject({ version: 2, value: { priceCents: 201 } });
  });
});

describe('stale read-fill: a read misses and reads v1, a write commits and publishes v2, then the read fills v1', () => {
  async function race(remedies: Remedies) {
    const product = await newProduct();
    await api.services.store.remove([productKey(product.id)]);
    const readPaused = gate();
    const reading = pausingReader(remedies, readPaused).load(product.id);
    await readPaused.reached; // the read has v1 from the database
    await writer(remedies).db.product.update({ where: { id: product.id }, data: { priceCents: 999 } });
    readPaused.open();
    expect(await reading).toMatchObject({ version: 1 }); // it began before the write: v1 is a fine answer for it
    return freshRead(product.id);
  }

  it('with compare-and-set, the fill is refused and later reads see v2', async () => {
    expect(await race({})).toMatchObject({ version: 2, priceCents: 999 });
  });

  it('without it, the fill overwrites v2 and later reads see v1 (the race shows)', async () => {
    expect(await race({ compareAndSet: false })).toMatchObject({ version: 1, priceCents: 100 });
  });
});

describe('fill during a write in flight: the write has committed v2 but not yet published; a read fills v1', () => {
  async function race(remedies: Remedies) {
    const product = await newProduct();
    await api.services.store.remove([productKey(product.id)]);
    const readPaused = gate();
    const reading = pausingReader(remedies, readPaused).load(product.id);
    await readPaused.reached; // the read has v1
    const publishPaused = gate();
    const w = writer({ ...remedies, outbox: false }, { hooks: { afterCommit: once(() => publishPaused.wait()) } });
    const writing = w.db.product.update({ where: { id: product.id }, data: { priceCents: 555 } }).then((row) => row);
    await publishPaused.reached; // v2 committed, cache not yet written
    readPaused.open();
    await reading; // fills v1 if it can
    const during = await freshRead(product.id); // a read that starts now, while the write is still in flight
    publishPaused.open();
    await writing;
    return during;
  }

  it('with leases, the fill is refused: reads go to the database and see v2', async () => {
    expect(await race({})).toMatchObject({ version: 2, priceCents: 555 });
  });

  it('without leases, the fill stores v1 and a read that starts after COMMIT sees it (the race shows)', async () => {
    expect(await race({ leases: false })).toMatchObject({ version: 1 });
  });
});

describe('crash after commit: the process dies between COMMIT and the cache write', () => {
  const crash = () => {
    throw new Error('simulated crash after COMMIT');
  };

  async function race(remedies: Remedies) {
    const product = await newProduct();
    await freshRead(product.id); // v1 is cached
    const w = writer(remedies, { hooks: { afterCommit: crash } });
    await expect(w.db.product.update({ where: { id: product.id }, data: { priceCents: 777 } })).rejects.toThrow('simulated crash');
    const rightAfter = await freshRead(product.id);
    // Later: the lease (300 ms here) has expired, and another instance's reconciler replays the outbox.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await w.reconciler?.runOnce({ replayAfterMs: 0 });
    const cached = await api.cached('Product', product.id);
    return { rightAfter, cached };
  }

  it('with leases and the outbox: reads see v2 at once, and the cache converges to v2', async () => {
    const { rightAfter, cached } = await race({});
    expect(rightAfter).toMatchObject({ version: 2, priceCents: 777 });
    expect(cached).toMatchObject({ version: 2, value: { priceCents: 777 } });
  });

  it('without leases, reads see the old v1 after COMMIT (the race shows); the outbox still repairs it', async () => {
    const { rightAfter, cached } = await race({ leases: false });
    expect(rightAfter).toMatchObject({ version: 1 });
    expect(cached).toMatchObject({ version: 2, value: { priceCents: 777 } });
  });

  it('without leases and without the outbox, v1 stays in the cache (the race shows)', async () => {
    const { cached } = await race({ leases: false, outbox: false });
    expect(cached).toMatchObject({ version: 1, value: { priceCents: 100 } });
  });
});

describe('delete then late fill: a read has the row, the row is deleted, then the read fills it', () => {
  async function race(remedies: Remedies) {
    const product = await newProduct();
    await api.services.store.remove([productKey(product.id)]);
    const readPaused = gate();
    const reading = pausingReader(remedies, readPaused).load(product.id);
    await readPaused.reached;
    await writer(remedies).db.product.delete({ where: { id: product.id } });
    readPaused.open();
    await reading;
    return freshRead(product.id);
  }

  it('with tombstones, the product stays deleted', async () => {
    expect(await race({})).toBeNull();
  });

  it('without tombstones, the deleted product comes back (the race shows)', async () => {
    expect(await race({ tombstones: false })).toMatchObject({ version: 1 });
  });
});

describe('bulk writes: updateMany changes rows its result does not list', () => {
  async function race(remedies: Remedies) {
    const tag = `bulk-race-${++seq}`;
    const { db } = writer(remedies);
    const rows = [
      await db.product.create({ data: { sku: `BR-${++seq}`, name: tag, priceCents: 1 } }),
      await db.product.create({ data: { sku: `BR-${++seq}`, name: tag, priceCents: 1 } }),
    ];
    await db.product.updateMany({ where: { name: tag }, data: { priceCents: 2 } });
    return Promise.all(rows.map((r) => freshRead(r.id)));
  }

  it('tracked row by row, every changed entry is refreshed', async () => {
    expect(await race({})).toEqual([expect.objectContaining({ version: 2, priceCents: 2 }), expect.objectContaining({ version: 2, priceCents: 2 })]);
  });

  it('untracked, the cache keeps the old rows (the race shows)', async () => {
    expect(await race({ trackBulkWrites: false })).toEqual([expect.objectContaining({ priceCents: 1 }), expect.objectContaining({ priceCents: 1 })]);
  });
});

describe('Redis unreachable during a write: the writer cannot reach Redis, which keeps its data', () => {
  async function race(policy: 'fail' | 'repair', remedies: Remedies) {
    const product = await newProduct();
    await freshRead(product.id); // v1 is cached
    // The writer's own connection to Redis, cut: a partition between this writer and Redis.
    const cut = createRedisClient({ redisUrl: api.services.config.redisUrl! });
    cut.on('error', () => {});
    cut.disconnect();
    const w = withWriteThrough(api.services.rawDb, {
      entities: cachedEntities,
      schema: entityMetadata,
      store: createRedisStore({ redis: cut, stats: api.services.stats }),
      stats: api.services.stats,
      namespace: api.namespace,
      outbox: remedies.outbox === false ? null : createOutbox(api.services.rawDb),
      writePolicy: policy,
    }) as PrismaClient;
    const outcome = await w.$transaction((tx) => tx.product.update({ where: { id: product.id }, data: { priceCents: 200 } })).catch((error: Error) => error);
    const row = await api.services.rawDb.product.findUniqueOrThrow({ where: { id: product.id } });
    const cachedAfterOutage = await api.cached('Product', product.id);
    // Another instance, which reaches Redis, runs its reconciler.
    await writer({}).reconciler!.runOnce({ replayAfterMs: 0 });
    return { outcome, row, cachedAfterOutage, repaired: await api.cached('Product', product.id) };
  }

  it('policy fail: the write is refused with CACHE_UNAVAILABLE and nothing is committed', async () => {
    const { outcome, row, repaired } = await race('fail', {});
    expect(outcome).toMatchObject({ code: 'CACHE_UNAVAILABLE' });
    expect(row).toMatchObject({ version: 1, priceCents: 100 });
    expect(repaired).toMatchObject({ version: 1, value: { priceCents: 100 } });
  });

  it('policy repair: the write commits; the cache still holds v1 (the documented window); the outbox repairs it to v2', async () => {
    const { outcome, row, cachedAfterOutage, repaired } = await race('repair', {});
    expect(outcome).toMatchObject({ version: 2, priceCents: 200 });
    expect(row).toMatchObject({ version: 2 });
    expect(cachedAfterOutage).toMatchObject({ version: 1 });
    expect(repaired).toMatchObject({ version: 2, value: { priceCents: 200 } });
  });

  it('policy repair without the outbox: v1 stays (the race shows)', async () => {
    const { repaired } = await race('repair', { outbox: false });
    expect(repaired).toMatchObject({ version: 1, value: { priceCents: 100 } });
  });
});
