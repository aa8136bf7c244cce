/**
 * A deploy that changes a cached entity's shape (issue 14): a rolling deploy
 * where instance Old (the real API over HTTP, built against the current entity
 * metadata) and instance New (built from the cache core with the metadata
 * `prisma generate` gives after the migration, and a `load` that reads the new
 * column) share one database and one Redis namespace while the migration
 * `ALTER TABLE "Product" ADD COLUMN "weightGrams"` is applied.
 *
 * Every cache value carries the fingerprint of its entity's shape
 * (packages/prisma-write-through/src/shape.ts): New never serves Old's entries
 * (it misses, reads PostgreSQL and returns the new field), Old never serves
 * New's, each side's hits stay hits on the entries it wrote itself, and a
 * write on either side is seen by the other at once (one key, one version per
 * entity, whatever the shape).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type DataLoader from 'dataloader';
import {
  createCacheStats,
  createEntityLoader,
  createOutbox,
  createRedisStore,
  decodeEntry,
  shapeFingerprint,
  withEpochFence,
  withWriteThrough,
  type CachedEntity,
  type CacheStats,
  type EntityId,
  type EntityMetadata,
  type Outbox,
} from 'prisma-write-through';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { createRedisClient, redisIdentity, whenReady } from '../src/db/redis.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { PRODUCT_FIELDS, UPDATE_PRODUCT, ok } from './api-helpers.js';
import { startTestApi, type TestApi } from './support/api.js';

const PRODUCT = `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`;

/** The metadata after the migration: what `prisma generate` emits once `weightGrams Int @default(250)` is in the schema. */
function migratedMetadata(): EntityMetadata {
  const current = entityMetadata as unknown as EntityMetadata;
  const product = current.models.Product!;
  const weightGrams = { ...product.fields.stock!, name: 'weightGrams', column: 'weightGrams' };
  return { ...current, models: { ...current.models, Product: { ...product, fields: { ...product.fields, weightGrams } } } };
}

type Db = Pick<PrismaClient, 'product' | '$queryRawUnsafe'>;

/**
 * New's product: the row with its new column. (New's Prisma Client would be
 * generated with the field; this test's client predates it, so the column is
 * read with SQL, and the write path reads the entity back through `load`.)
 */
const newProduct: CachedEntity<Db, object> = {
  model: 'Product',
  load: async (db, ids) => {
    const rows = await db.product.findMany({ where: { id: { in: ids as number[] } } });
    const weights = await db.$queryRawUnsafe<{ id: number; weightGrams: number }[]>(
      `SELECT "id", "weightGrams" FROM "Product" WHERE "id" = ANY($1::int[])`,
      ids,
    );
    const byId = new Map(weights.map((w) => [w.id, w.weightGrams]));
    return rows.map((row) => ({ ...row, weightGrams: byId.get(row.id) }));
  },
};

/** Instance New: the cache core over the same database and Redis namespace, with the migrated metadata. */
async function startNewInstance(api: TestApi) {
  const schema = migratedMetadata();
  const entities = { ...cachedEntities, Product: newProduct };
  const stats = createCacheStats();
  const redis = createRedisClient({ redisUrl: api.services.config.redisUrl! });
  if (!(await whenReady(redis, 5000))) throw new Error('Redis is not reachable');
  const store = withEpochFence({
    store: createRedisStore({ redis, stats }),
    stats,
    namespace: api.namespace,
    db: api.services.rawDb,
    ...redisIdentity(redis),
    connection: redis,
  });
  await store.check();
  const outbox: Outbox = createOutbox(api.services.rawDb);
  const db = withWriteThrough(api.services.rawDb, { entities, schema, store, stats, outbox, namespace: api.namespace }) as PrismaClient;
  return {
    schema,
    stats,
    db,
    /** A request's product loader on New. */
    loader: (): DataLoader<EntityId, any> =>
      createEntityLoader({ name: 'Product', entity: newProduct, schema, db: api.services.rawDb as Db, store, stats, namespace: api.namespace }),
    async close() {
      await outbox.close();
      await store.close();
    },
  };
}

let api: TestApi;
let New: Awaited<ReturnType<typeof startNewInstance>>;
let admin: string;

beforeAll(async () => {
  api = await startTestApi();
  admin = (await api.admin()).token;
});
afterAll(async () => {
  await New?.close();
  await api?.close();
});

/** Hits and misses of Product reads on one instance, and those of them that met a value of another shape. */
const counts = (stats: CacheStats) => ({
  hits: stats.entities.Product?.hits ?? 0,
  misses: stats.entities.Product?.misses ?? 0,
  shapeMisses: stats.shapeMisses,
});

/** Runs `read` on an instance and says whether it was a hit or a miss there, and whether that miss met another shape. */
async function measured<T>(stats: CacheStats, read: () => Promise<T>): Promise<{ value: T; outcome: 'hit' | 'miss' | 'shape miss' }> {
  const before = counts(stats);
  const value = await read();
  const after = counts(stats);
  expect(after.hits + after.misses - before.hits - before.misses, 'one product read').toBe(1);
  const outcome = after.hits > before.hits ? 'hit' : after.shapeMisses > before.shapeMisses ? 'shape miss' : 'miss';
  return { value, outcome };
}

/** Old reads a product over HTTP (a request of its own). */
const oldRead = (id: number) => measured(api.services.stats, async () => ok(await api.gql(PRODUCT, { id: globalIdOf(id) })).product);
/** New reads a product (a request of its own). */
const newRead = (id: number) => measured(New.stats, () => New.loader().load(id));
const globalIdOf = (id: number) => Buffer.from(`Product:${id}`).toString('base64url');

/** The product's entry in Redis (current epoch), decoded: version, shape and fields. */
async function entry(id: number) {
  const epoch = api.services.cacheEpoch();
  const hit = decodeEntry(await api.services.redis!.get(`${api.namespace}${epoch === null || epoch === 1 ? '' : `e${epoch}:`}Product:${id}`));
  return hit?.kind === 'value' ? { version: hit.version, shape: hit.shape, value: JSON.parse(hit.json) } : hit;
}

describe('a rolling deploy that adds a field to a cached model', () => {
  const oldShape = shapeFingerprint(cachedEntities.Product, entityMetadata as unknown as EntityMetadata);
  let shared: number;
  let oldOnly: number;
  let newOnly: number;

  it('before the migration, Old caches products in its shape', async () => {
    const ids: number[] = [];
    for (const n of [1, 2, 3]) ids.push((await api.product({ name: `Shape ${n}`, priceCents: 1000 * n })).id);
    [shared, oldOnly, newOnly] = ids as [number, number, number];
    for (const id of [shared, oldOnly, newOnly]) expect(await entry(id)).toMatchObject({ version: 1, shape: oldShape });
    expect((await oldRead(shared)).outcome).toBe('hit');
  });

  it('the migration adds the column; Old, still running, keeps serving its entries', async () => {
    await api.services.rawDb.$executeRawUnsafe(`ALTER TABLE "Product" ADD COLUMN "weightGrams" INTEGER NOT NULL DEFAULT 250`);
    const read = await oldRead(shared);
    expect(read).toMatchObject({ outcome: 'hit', value: { version: 1, priceCents: 1000 } });
  });

  it("New starts with the migrated metadata: another shape, and it never serves Old's entries", async () => {
    New = await startNewInstance(api);
    const newShape = shapeFingerprint(newProduct, New.schema);
    expect(newShape).not.toBe(oldShape);

    // Old's entry is there, version 1 in Old's shape: New misses it, reads PostgreSQL, and has the new field.
    expect(await entry(shared)).toMatchObject({ version: 1, shape: oldShape });
    expect(await newRead(shared)).toEqual({ outcome: 'shape miss', value: expect.objectContaining({ id: shared, version: 1, weightGrams: 250 }) });
    // Its fill took the key over at the same version, in New's shape; New's next reads hit it.
    expect(await entry(shared)).toMatchObject({ version: 1, shape: newShape, value: { weightGrams: 250 } });
    expect(await newRead(shared)).toEqual({ outcome: 'hit', value: expect.objectContaining({ version: 1, weightGrams: 250 }) });
  });

  it("Old never serves New's entries: it misses, reads PostgreSQL, and fills its own shape back", async () => {
    const newShape = shapeFingerprint(newProduct, New.schema);
    expect(await entry(shared)).toMatchObject({ shape: newShape });
    expect(await oldRead(shared)).toMatchObject({ outcome: 'shape miss', value: { version: 1, priceCents: 1000 } });
    const refilled = await entry(shared);
    expect(refilled).toMatchObject({ version: 1, shape: oldShape });
    expect(refilled && 'value' in refilled && refilled.value).not.toHaveProperty('weightGrams');
    expect((await oldRead(shared)).outcome).toBe('hit');
  });

  it('each side keeps hitting the entries it wrote itself', async () => {
    const newShape = shapeFingerprint(newProduct, New.schema);
    for (let i = 0; i < 3; i++) expect((await oldRead(oldOnly)).outcome).toBe('hit');
    expect(await entry(oldOnly)).toMatchObject({ shape: oldShape });
    expect((await newRead(newOnly)).outcome).toBe('shape miss');
    for (let i = 0; i < 3; i++) expect(await newRead(newOnly)).toEqual({ outcome: 'hit', value: expect.objectContaining({ id: newOnly, weightGrams: 250 }) });
    expect(await entry(newOnly)).toMatchObject({ shape: newShape });
  });

  it('a write on either side is what the other reads next: one version per entity across shapes', async () => {
    const newShape = shapeFingerprint(newProduct, New.schema);
    // New writes (in its shape, version 2): Old's next read has version 2, never its own version 1.
    await New.db.product.update({ where: { id: oldOnly }, data: { priceCents: 2222 } });
    expect(await entry(oldOnly)).toMatchObject({ version: 2, shape: newShape, value: { priceCents: 2222, weightGrams: 250 } });
    expect(await oldRead(oldOnly)).toMatchObject({ outcome: 'shape miss', value: { version: 2, priceCents: 2222 } });
    expect(await oldRead(oldOnly)).toMatchObject({ outcome: 'hit', value: { version: 2, priceCents: 2222 } });
    // Old writes (in its shape, version 2 of that product): New's next read has it, with the new field.
    ok(await api.gql(UPDATE_PRODUCT, { input: { id: globalIdOf(newOnly), priceCents: 3333 } }, admin));
    expect(await entry(newOnly)).toMatchObject({ version: 2, shape: oldShape, value: { priceCents: 3333 } });
    expect(await newRead(newOnly)).toEqual({ outcome: 'shape miss', value: expect.objectContaining({ version: 2, priceCents: 3333, weightGrams: 250 }) });
    expect(await newRead(newOnly)).toEqual({ outcome: 'hit', value: expect.objectContaining({ version: 2, priceCents: 3333, weightGrams: 250 }) });
  });
});
