/**
 * The reconciler after a failed pass: a change captured while Redis could not
 * be written (a pause, a failover) is published soon after Redis answers
 * again, not at the next poll (RECONCILE_INTERVAL_MS). Found by the
 * consistency checker's out-of-band client under `redis-pause`: stale reads up
 * to 1.8 s after a COMMIT, past the promised 1 s.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createReconciler, type CacheStore } from 'prisma-write-through';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  // This test's reconciler replays the captured row, not the API's.
  await api.services.reconciler.stop();
});
afterAll(() => api?.close());

it('a woken pass that fails on the store is tried again within a few hundred ms, with a growing wait, until it publishes', async () => {
  const product = await api.product();
  const [{ version }] = await api.services.rawDb.$queryRawUnsafe<[{ version: number }]>(
    `UPDATE "Product" SET "priceCents" = 4321 WHERE id = $1 RETURNING "version"`,
    product.id,
  );
  let failuresLeft = 3;
  const attempts: number[] = [];
  const started = performance.now();
  const store = api.services.store;
  const unreachable: CacheStore = {
    ...store,
    write: async (entries) => {
      attempts.push(Math.round(performance.now() - started));
      if (failuresLeft-- > 0) throw new Error('Redis unreachable (test)');
      return store.write(entries);
    },
  };
  const reconciler = createReconciler({
    db: api.services.rawDb,
    outbox: api.services.outbox,
    entities: cachedEntities,
    schema: entityMetadata,
    store: unreachable,
    stats: api.services.stats,
    namespace: api.namespace,
    intervalMs: 60_000, // no poll within the test: only the retries can publish
    replayAfterMs: 0,
  });
  try {
    reconciler.wake();
    await expect.poll(async () => (await api.cached('Product', product.id))?.version, { timeout: 5000, interval: 50 }).toBe(version);
    expect(attempts).toHaveLength(4);
    // 100, 200 then 400 ms between the attempts (timers may run late on a busy machine, never early).
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[2]).toBeGreaterThan(gaps[0]!);
  } finally {
    await reconciler.stop();
  }
});
