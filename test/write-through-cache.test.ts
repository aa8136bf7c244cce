/**
 * The package's one entry point, as an adopter uses it: settings given once,
 * the extension, typed loaders (no casts), the reconciler and the stats; and
 * `toError`, the one place thrown values become errors.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMemoryStore, createWriteThroughCache, toError } from 'prisma-write-through';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ REDIS_URL: '' });
});
afterAll(() => api?.close());

it('writes through the extension, then serves the committed row from typed loaders, one miss then hits', async () => {
  const warnings: string[] = [];
  const cache = createWriteThroughCache({
    entities: cachedEntities,
    schema: entityMetadata,
    store: (stats) => createMemoryStore({ stats }),
    db: api.services.rawDb,
    namespace: 'adopter:',
    logger: { warn: (_fields, message) => warnings.push(message) },
  });
  const db = cache.extend(api.services.rawDb);
  const created = await db.product.create({ data: { sku: `WTC-${Date.now()}`, name: 'Adopted', priceCents: 1234, stock: 3 } });
  await db.product.update({ where: { id: created.id }, data: { priceCents: 999 } });

  const loaders = cache.loaders(db);
  const product = await loaders.Product.load(created.id);
  // Typed by the entity's `load`: a price is a number here without any cast.
  const price: number | undefined = product?.priceCents;
  expect(price).toBe(999);
  expect(product?.version).toBe(2);
  expect(cache.stats.hits).toBe(1); // published by the write, not read from the database
  expect(await cache.loaders(db).User.load(2_000_000_000)).toBeNull(); // no such user: a miss, then null
  expect(warnings).toEqual([]);
});

it('toError keeps errors, and turns a Redis reply string into a readable error', () => {
  const error = new Error('boom');
  expect(toError(error)).toBe(error);
  const moved = toError('MOVED 3999 127.0.0.1:6381');
  expect(moved).toBeInstanceOf(Error);
  expect(moved.message).toBe('MOVED 3999 127.0.0.1:6381');
  expect(toError({ code: 1 }).message).toBe('{"code":1}');
});
