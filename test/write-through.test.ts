/**
 * The write-through extension, driven through the extended Prisma Client
 * against real PostgreSQL and Redis: what reaches the cache after a commit,
 * and what never does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOMBSTONE_VERSION, withWriteThrough } from 'prisma-write-through';
import { createPrismaClient } from '../src/db/client.js';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { createLoaders } from '../src/loaders/index.js';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
let seq = 0;

const db = () => api.services.db;
const raw = () => api.services.rawDb;
const newProduct = (data: Partial<{ stock: number; priceCents: number; name: string }> = {}) =>
  db().product.create({ data: { sku: `WT-${++seq}`, name: `Product ${seq}`, priceCents: 100, stock: 10, ...data } });
const newUser = async () => {
  const user = await db().user.create({ data: { email: `wt${++seq}@example.com`, name: 'U', passwordHash: 'secret-hash-value' } });
  await db().cart.create({ data: { userId: user.id } });
  return user;
};

// The same tests against both cache stores: Redis, and the in-process store used without REDIS_URL.
describe.each([
  ['Redis', {}],
  ['in-process', { REDIS_URL: '' }],
] as const)('with the %s cache store', (_, env) => {
  beforeAll(async () => {
    api = await startTestApi(env);
  });
  afterAll(() => api?.close());

  describe('writes reach the cache after commit', () => {
    it('create and update store the committed row with its version, and a TTL', async () => {
      const product = await newProduct();
      expect(await api.cached('Product', product.id)).toEqual({ version: 1, value: expect.objectContaining({ id: product.id, version: 1 }) });

      const updated = await db().product.update({ where: { id: product.id }, data: { name: 'Renamed' } });
      expect(updated.version).toBe(2); // the extension increments the version itself
      expect(await api.cached('Product', product.id)).toMatchObject({ version: 2, value: { name: 'Renamed', version: 2 } });
      if (api.services.redis) {
        const ttl = await api.services.redis.ttl(`${api.namespace}Product:${product.id}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(api.services.config.cacheTtlSeconds);
      }
    });

    it('leases all entities of one transaction in one round trip before COMMIT, and publishes them in one after', async () => {
      const [a, b] = [await newProduct(), await newProduct()];
      const before = api.services.stats.writeRoundTrips;
      await db().$transaction(async (tx) => {
        await tx.product.update({ where: { id: a.id }, data: { stock: 1 } });
        await tx.product.update({ where: { id: b.id }, data: { stock: 2 } });
      });
      expect(api.services.stats.writeRoundTrips - before).toBe(2);
      expect((await api.cached('Product', a.id))?.value.stock).toBe(1);
      expect((await api.cached('Product', b.id))?.value.stock).toBe(2);
    });

    it('a rolled-back transaction writes nothing to the cache', async () => {
      const product = await newProduct();
      const cachedBefore = await api.cached('Product', product.id);
      const writesBefore = api.services.stats.writeRoundTrips;
      await expect(
        db().$transaction(async (tx) => {
          await tx.product.update({ where: { id: product.id }, data: { name: 'Phantom' } });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(api.services.stats.writeRoundTrips).toBe(writesBefore);
      expect(await api.cached('Product', product.id)).toEqual(cachedBefore);
      expect((await raw().product.findUniqueOrThrow({ where: { id: product.id } })).name).not.toBe('Phantom');
    });

    it('a transaction that fails at COMMIT itself writes nothing (the cache is written only after commit)', async () => {
      // A deferred constraint trigger, in this test's own database: it refuses at COMMIT, after every statement succeeded.
      await raw().$executeRawUnsafe(`CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.name = 'refused at commit' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NEW; END $$`);
      await raw().$executeRawUnsafe(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER UPDATE ON "Product"
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`);
      const product = await newProduct();
      const cachedBefore = await api.cached('Product', product.id);
      await expect(db().product.update({ where: { id: product.id }, data: { name: 'refused at commit' } })).rejects.toThrow();
      expect((await raw().product.findUniqueOrThrow({ where: { id: product.id } })).name).toBe(product.name);
      expect(await api.cached('Product', product.id)).toEqual(cachedBefore);
    });

    it('a write refused by the database (CHECK constraint) writes nothing', async () => {
      const product = await newProduct({ stock: 1 });
      const cachedBefore = await api.cached('Product', product.id);
      await expect(db().product.update({ where: { id: product.id }, data: { stock: { decrement: 5 } } })).rejects.toThrow();
      expect(await api.cached('Product', product.id)).toEqual(cachedBefore);
    });

    it('never caches secrets: no password hash in a User entry', async () => {
      const user = await newUser();
      const hit = (await api.services.store.read([`${api.namespace}User:${user.id}`]))[0];
      const value = hit?.kind === 'value' ? hit.json : '';
      expect(value).toContain(user.email);
      expect(value).not.toContain('passwordHash');
      expect(value).not.toContain('secret-hash-value');
    });
  });

  describe("a write's own result is the read-back of an entity that is one row", () => {
    /** The same write-through, on a client that records every SQL statement. */
    function recording() {
      const statements: string[] = [];
      const client = createPrismaClient({ databaseUrl: api.services.config.databaseUrl, onQuery: (sql) => statements.push(sql) });
      const { store, stats, outbox, config } = api.services;
      const wt = withWriteThrough(client, {
        entities: cachedEntities,
        schema: entityMetadata,
        store,
        stats,
        outbox,
        namespace: config.cacheNamespace,
        ttlSeconds: config.cacheTtlSeconds,
      });
      return { db: wt, statements, close: () => client.$disconnect() };
    }

    it('caches the row the UPDATE returned, reads nothing back, and still answers the caller with what it selected', async () => {
      const product = await newProduct();
      const { db: wt, statements, close } = recording();
      try {
        const answer = await wt.product.update({ where: { id: product.id }, data: { name: 'Narrow' }, select: { id: true, name: true } });
        expect(answer).toEqual({ id: product.id, name: 'Narrow' });
        expect(statements.filter((sql) => /^SELECT/i.test(sql))).toEqual([]);
        expect(statements.some((sql) => /^UPDATE/i.test(sql) && /RETURNING/.test(sql) && /"priceCents"/.test(sql))).toBe(true);
      } finally {
        await close();
      }
      const row = await raw().product.findUniqueOrThrow({ where: { id: product.id } });
      expect((await api.cached('Product', product.id))?.value).toEqual(JSON.parse(JSON.stringify(row)));
      expect(row).toMatchObject({ version: 2, name: 'Narrow' });
    });

    it("keeps the caller's view of secrets as Prisma gives it, and the cache's without them", async () => {
      const user = await newUser();
      const answer = await db().user.update({ where: { id: user.id }, data: { name: 'Renamed' } });
      expect(answer.passwordHash).toBe('secret-hash-value');
      const cached = await api.cached('User', user.id);
      expect(cached).toMatchObject({ version: 2, value: { name: 'Renamed' } });
      expect(cached?.value).not.toHaveProperty('passwordHash');
    });

    it('a row returned by a write that a later delete in the same transaction removed becomes a tombstone, not a value', async () => {
      const product = await newProduct();
      await db().$transaction(async (tx) => {
        await tx.product.update({ where: { id: product.id }, data: { stock: 3 } });
        await tx.product.delete({ where: { id: product.id } });
      });
      expect(await api.cached('Product', product.id)).toEqual({ version: TOMBSTONE_VERSION, value: null });
    });

    it('a later write that does not return the whole row makes the entity read back again', async () => {
      const product = await newProduct();
      const { db: wt, statements, close } = recording();
      try {
        const answer = await wt.$transaction(async (tx) => {
          await tx.product.update({ where: { id: product.id }, data: { stock: 1 } });
          return tx.product.update({ where: { id: product.id }, data: { stock: 2 }, include: { cartItems: true } });
        });
        expect(answer).toMatchObject({ stock: 2, cartItems: [] });
        expect(statements.some((sql) => /^SELECT/i.test(sql) && /"Product"/.test(sql))).toBe(true);
      } finally {
        await close();
      }
      expect(await api.cached('Product', product.id)).toMatchObject({ version: 3, value: { stock: 2, version: 3 } });
    });
  });

  describe('bulk, member, nested and cascading writes leave no stale entry', () => {
    it('updateMany refreshes every row it changed, and only those', async () => {
      const tag = `bulk-${++seq}`;
      const changed = [await newProduct({ name: tag }), await newProduct({ name: tag })];
      const untouched = await newProduct({ name: 'other' });
      const result = await db().product.updateMany({ where: { name: tag }, data: { priceCents: 777 } });
      expect(result).toEqual({ count: 2 });
      for (const p of changed) expect(await api.cached('Product', p.id)).toMatchObject({ version: 2, value: { priceCents: 777 } });
      expect(await api.cached('Product', untouched.id)).toMatchObject({ version: 1, value: { priceCents: 100 } });
    });

    it('createMany caches every created row', async () => {
      const skus = [`CM-${++seq}`, `CM-${++seq}`];
      const result = await db().product.createMany({ data: skus.map((sku) => ({ sku, name: sku, priceCents: 5 })) });
      expect(result).toEqual({ count: 2 });
      const rows = await raw().product.findMany({ where: { sku: { in: skus } } });
      for (const row of rows) expect(await api.cached('Product', row.id)).toMatchObject({ version: 1, value: { sku: row.sku } });
    });

    it('deleteMany leaves tombstones, so a late read-fill cannot bring the rows back', async () => {
      const tag = `gone-${++seq}`;
      const doomed = [await newProduct({ name: tag }), await newProduct({ name: tag })];
      expect(await db().product.deleteMany({ where: { name: tag } })).toEqual({ count: 2 });
      for (const p of doomed) {
        expect(await api.cached('Product', p.id)).toEqual({ version: TOMBSTONE_VERSION, value: null });
        // A fill of the old row (a read that started before the delete) is refused by compare-and-set.
        await api.services.store.write([{ key: `${api.namespace}Product:${p.id}`, version: 1, json: JSON.stringify(p), ttlSeconds: 60 }]);
        expect(await api.cached('Product', p.id)).toEqual({ version: TOMBSTONE_VERSION, value: null });
      }
      const loaders = createLoaders(api.services);
      expect(await loaders.product.loadMany(doomed.map((p) => p.id))).toEqual([null, null]);
    });

    it('a write on a member row (cart item) bumps the aggregate and refreshes it', async () => {
      const user = await newUser();
      const product = await newProduct();
      await db().cartItem.create({ data: { cartId: user.id, productId: product.id, quantity: 1 } });
      expect(await api.cached('Cart', user.id)).toMatchObject({ version: 2, value: { items: [{ productId: product.id, quantity: 1 }] } });
      await db().cartItem.update({ where: { cartId_productId: { cartId: user.id, productId: product.id } }, data: { quantity: 3 } });
      expect(await api.cached('Cart', user.id)).toMatchObject({ version: 3, value: { items: [{ quantity: 3 }] } });
      await db().cartItem.deleteMany({ where: { cartId: user.id } });
      expect(await api.cached('Cart', user.id)).toMatchObject({ version: 4, value: { items: [] } });
    });

    it('a database cascade (deleting a product) refreshes every cart that held it', async () => {
      const [u1, u2] = [await newUser(), await newUser()];
      const product = await newProduct();
      const keep = await newProduct();
      await db().cartItem.createMany({
        data: [
          { cartId: u1.id, productId: product.id, quantity: 1 },
          { cartId: u2.id, productId: product.id, quantity: 2 },
          { cartId: u2.id, productId: keep.id, quantity: 1 },
        ],
      });
      const v1 = (await api.cached('Cart', u1.id))!.version;
      await db().product.delete({ where: { id: product.id } });
      const c1 = await api.cached('Cart', u1.id);
      const c2 = await api.cached('Cart', u2.id);
      expect(c1?.version).toBeGreaterThan(v1);
      expect(c1?.value.items).toEqual([]);
      expect(c2?.value.items.map((i: { productId: number }) => i.productId)).toEqual([keep.id]);
      const row = await raw().cart.findUniqueOrThrow({ where: { userId: u2.id } });
      expect(c2?.version).toBe(row.version);
    });

    it('refuses a nested write into another cached entity, and commits nothing', async () => {
      const user = await newUser();
      const product = await newProduct();
      await expect(
        db().user.update({ where: { id: user.id }, data: { name: 'X', cart: { update: { items: { create: { productId: product.id, quantity: 1 } } } } } }),
      ).rejects.toThrow(/nested "update" of Cart through User.cart is not supported/);
      expect((await raw().user.findUniqueOrThrow({ where: { id: user.id } })).name).toBe('U');
    });

    it('allows nested writes inside the entity itself (a cart created with its items)', async () => {
      const user = await db().user.create({ data: { email: `nested${++seq}@example.com`, name: 'N', passwordHash: 'h' } });
      const product = await newProduct();
      await db().cart.create({ data: { userId: user.id, items: { create: { productId: product.id, quantity: 2 } } } });
      expect(await api.cached('Cart', user.id)).toMatchObject({ version: 1, value: { items: [{ productId: product.id, quantity: 2 }] } });
    });

    it('refuses cached writes inside a batch $transaction([...]) and commits nothing', async () => {
      const product = await newProduct();
      await expect(db().$transaction([db().product.update({ where: { id: product.id }, data: { name: 'Batch' } })])).rejects.toThrow(/batch \$transaction/);
      expect((await raw().product.findUniqueOrThrow({ where: { id: product.id } })).name).not.toBe('Batch');
    });
  });

  describe('compare-and-set', () => {
    it('ignores a write older than what the cache holds (out-of-order writers, stale fills)', async () => {
      const key = `${api.namespace}Probe:1`;
      const write = (version: number, json: string) => api.services.store.write([{ key, version, json, ttlSeconds: 60 }]);
      expect(await write(2, '"two"')).toEqual(['written']);
      expect(await write(1, '"one"')).toEqual(['older']);
      expect(await write(2, '"two again"')).toEqual(['older']);
      const stored = async () => (await api.services.store.read([key]))[0];
      expect(await stored()).toEqual({ kind: 'value', version: 2, json: '"two"' });
      expect(await write(3, '"three"')).toEqual(['written']);
      expect(await stored()).toEqual({ kind: 'value', version: 3, json: '"three"' });
    });

    it('a stale read-fill loses to the mutation that committed after the read', async () => {
      const product = await newProduct();
      await api.services.store.remove([`${api.namespace}Product:${product.id}`]);
      // The read: misses, and reads v1 from the database...
      const staleRow = await raw().product.findUniqueOrThrow({ where: { id: product.id } });
      // ...a mutation commits v2 and writes the cache...
      await db().product.update({ where: { id: product.id }, data: { priceCents: 999 } });
      // ...then the read fills what it read. Compare-and-set refuses it.
      await api.services.store.write([
        { key: `${api.namespace}Product:${product.id}`, version: staleRow.version, json: JSON.stringify(staleRow), ttlSeconds: 60 },
      ]);
      expect(await api.cached('Product', product.id)).toMatchObject({ version: 2, value: { priceCents: 999 } });
    });
  });
});
