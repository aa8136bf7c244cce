/**
 * Conflicting transactions are retried, never answered as internal errors:
 * writers lock in one global order (carts before products, also when a
 * product delete cascades into carts), a transaction rolled back for a
 * transient reason (deadlock, serialization failure, lock or transaction
 * timeout) runs again inside the write-through's $transaction, and one that
 * keeps failing answers TRANSACTION_CONFLICT with `retryable: true`, having
 * changed nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transientReason } from 'prisma-write-through';
import { startTestApi, type TestApi } from './support/api.js';
import { ADD_TO_CART, CHECKOUT, DELETE_PRODUCT, adminUser, expectCacheInSync, ok, refused } from './api-helpers.js';

let api: TestApi;
let admin: { token: string; id: number };
beforeAll(async () => {
  api = await startTestApi();
  admin = await adminUser(api);
});
afterAll(() => api?.close());

describe('lock order', () => {
  it('checkout and a delete of a product in the cart, at the same time: no deadlock, no internal error (10 trials)', async () => {
    const retriesBefore = api.services.stats.transactionRetries;
    const codes: string[] = [];
    for (let trial = 0; trial < 10; trial++) {
      const f = await api.product({ stock: 10 });
      const t = await api.product({ stock: 10 });
      const customer = await api.signUp();
      ok(await api.gql(ADD_TO_CART, { p: f.globalId, q: 1 }, customer.token));
      ok(await api.gql(ADD_TO_CART, { p: t.globalId, q: 1 }, customer.token));
      const [checkout, deleted] = await Promise.all([api.gql(CHECKOUT, {}, customer.token), api.gql(DELETE_PRODUCT, { id: t.globalId }, admin.token)]);
      ok(deleted);
      // Either the checkout went first (both products sold) or the delete did (only F sold).
      if (checkout.errors) codes.push(String(checkout.errors[0]!.extensions?.code));
      else expect(checkout.data.checkout.items.map((i: { quantity: number }) => i.quantity)).not.toHaveLength(0);
      await expectCacheInSync(api, 'Cart', customer.id);
      await expectCacheInSync(api, 'Product', f.id);
    }
    expect(codes.filter((code) => code === 'INTERNAL_SERVER_ERROR' || code === 'TRANSACTION_CONFLICT')).toEqual([]);
    // Not one deadlock to retry: the two lock carts, then products.
    expect(api.services.stats.transactionRetries - retriesBefore).toBe(0);
  });
});

describe('retries', () => {
  it('a deadlock between two transactions is retried: both commit, and the retry is counted', async () => {
    const a = await api.product({ stock: 10 });
    const b = await api.product({ stock: 10 });
    const retriesBefore = api.services.stats.transactionRetries;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
    // Opposite orders on purpose: PostgreSQL detects the deadlock and rolls one of them back.
    const crossed = (first: number, second: number) =>
      api.services.db.$transaction(async (tx) => {
        await tx.product.update({ where: { id: first }, data: { stock: { decrement: 1 } } });
        await pause();
        await tx.product.update({ where: { id: second }, data: { stock: { decrement: 1 } } });
      });
    await Promise.all([crossed(a.id, b.id), crossed(b.id, a.id)]);
    expect(api.services.stats.transactionRetries - retriesBefore).toBeGreaterThanOrEqual(1);
    // Both committed exactly once: 10 - 2 each, and the cache has it.
    for (const p of [a, b]) expect((await expectCacheInSync(api, 'Product', p.id)).row.stock).toBe(8);
  });

  it('a write that keeps timing out on a lock answers TRANSACTION_CONFLICT (retryable), after retrying, with nothing changed', async () => {
    // A second API on the same database whose statements give up on a lock after 150 ms.
    const url = new URL(api.services.config.databaseUrl!);
    url.searchParams.set('options', '-c lock_timeout=150');
    const impatient = await startTestApi({ DATABASE_URL: url.toString(), CACHE_NAMESPACE: api.namespace });
    try {
      const product = await api.product({ stock: 10, name: 'Locked' });
      ok(await impatient.gql(`{ product(id: "${product.globalId}") { name } }`));
      const holder = new pg.Client({ connectionString: api.services.config.databaseUrl! });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM "Product" WHERE id = $1 FOR UPDATE', [product.id]);
        const retriesBefore = impatient.services.stats.transactionRetries;
        const error = await refused(api, 'TRANSACTION_CONFLICT', () =>
          impatient.gql(`mutation { updateProduct(input: { id: "${product.globalId}", name: "Renamed" }) { name } }`, {}, admin.token),
        );
        expect(error.extensions).toMatchObject({ retryable: true, reason: 'lock_timeout' });
        expect(error.message).toMatch(/send it again/);
        expect(impatient.services.stats.transactionRetries - retriesBefore).toBe(3);
        expect(impatient.services.stats.transactionConflicts).toBeGreaterThanOrEqual(1);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      // Once the lock is gone, the same request succeeds.
      const res = ok(await impatient.gql(`mutation { updateProduct(input: { id: "${product.globalId}", name: "Renamed" }) { name } }`, {}, admin.token));
      expect(res.updateProduct.name).toBe('Renamed');
    } finally {
      await impatient.close();
    }
  });

  it('an error that is not transient (a CHECK constraint) is not retried', async () => {
    const product = await api.product({ stock: 1 });
    const retriesBefore = api.services.stats.transactionRetries;
    await expect(api.services.db.product.update({ where: { id: product.id }, data: { stock: -5 } })).rejects.toThrow();
    expect(api.services.stats.transactionRetries - retriesBefore).toBe(0);
  });
});

describe('transientReason', () => {
  it('knows the PostgreSQL and Prisma codes of a rollback, and nothing else', () => {
    const adapter = (code: string) => ({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: code } } } });
    expect(transientReason(adapter('40P01'))).toBe('deadlock');
    expect(transientReason(adapter('40001'))).toBe('serialization_failure');
    expect(transientReason(adapter('55P03'))).toBe('lock_timeout');
    expect(transientReason(adapter('57014'))).toBe('statement_timeout');
    expect(transientReason({ code: 'P2034' })).toBe('serialization_failure');
    expect(transientReason({ code: 'P2028', message: 'Transaction API error: Unable to start a transaction in the given time.' })).toBe('transaction_timeout');
    expect(transientReason({ code: 'P2028', message: 'Transaction already closed: A query cannot be executed on a committed transaction.' })).toBeNull();
    expect(transientReason(adapter('23505'))).toBeNull();
    expect(transientReason({ code: 'P2002' })).toBeNull();
    expect(transientReason(new Error('ECONNRESET'))).toBeNull();
    expect(transientReason('40P01')).toBeNull();
  });
});

describe('a delete that cascades into aggregates, racing writers of them', () => {
  it('deleteProduct while customers add it to their carts: every cart in the cache equals the database (20 rounds x 12 carts)', async () => {
    const customers = [];
    for (let i = 0; i < 12; i++) customers.push(await api.signUp());
    for (let round = 0; round < 20; round++) {
      const product = await api.product({ stock: 1000 });
      await Promise.all([
        ...customers.map(async (c, i) => {
          await new Promise((resolve) => setTimeout(resolve, (i * 7 + round) % 25));
          await api.gql(ADD_TO_CART, { p: product.globalId, q: 1 }, c.token);
        }),
        (async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          ok(await api.gql(DELETE_PRODUCT, { id: product.globalId }, admin.token));
        })(),
      ]);
    }
    for (const c of customers) await expectCacheInSync(api, 'Cart', c.id);
  }, 120_000);
});
