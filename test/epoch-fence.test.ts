/**
 * The cache epoch fence (packages/prisma-write-through/src/epoch.ts) on its own: an in-process store,
 * an identity the test controls, a connection whose events the test emits,
 * and epochs agreed in a real PostgreSQL database.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCacheStats, withEpochFence } from 'prisma-write-through';
import { createMemoryStore, type CacheStore } from 'prisma-write-through';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ REDIS_URL: '' }); // no fence of its own: the epoch table is this test's
});
afterAll(() => api?.close());

function fenced(
  state: { identity: string | Error; served: boolean },
  timing = { staleAfterMs: 1000, settleMs: 1200 },
  wrap: (store: CacheStore) => CacheStore = (store) => store,
) {
  const stats = createCacheStats();
  const connection = new EventEmitter();
  const store = withEpochFence({
    store: wrap(createMemoryStore({ stats })),
    stats,
    namespace: 'f:',
    db: api.services.rawDb,
    identify: async () => {
      if (state.identity instanceof Error) throw state.identity;
      return state.identity;
    },
    stillServed: () => state.served,
    connection,
    checkIntervalMs: 60_000, // checks only when the test asks
    ...timing,
  });
  return { store, stats, connection };
}

const entry = (version: number) => ({ key: 'f:Thing:1', version, json: JSON.stringify({ version }), ttlSeconds: 60 });

describe('the epoch fence', () => {
  it('discards a read served by a node the identity check has not seen, and checks again', async () => {
    const state = { identity: 'A', served: true };
    const { store, stats } = fenced(state);
    await store.check();
    const epoch = store.epoch()!;
    expect(await store.write([entry(1)])).toEqual(['written']);
    expect(await store.read(['f:Thing:1'])).toEqual([{ kind: 'value', version: 1, json: '{"version":1}' }]);

    // A promotion followed by MOVED: the same client, another node, no reconnection.
    state.served = false;
    state.identity = 'B';
    expect(await store.read(['f:Thing:1'])).toEqual([undefined]);
    expect(stats.fencedReads).toBe(1);
    await store.check();
    state.served = true;
    // A new epoch: nothing written before it can be read again.
    expect(store.epoch()).toBe(epoch + 1);
    expect(await store.read(['f:Thing:1'])).toEqual([undefined]);
    await store.close();
  });

  it('is fenced from a disconnection until the identity is checked again', async () => {
    const state = { identity: 'C', served: true };
    const { store, stats, connection } = fenced(state);
    await store.check();
    await store.write([entry(1)]);
    connection.emit('-node');
    expect(store.epoch()).toBeNull();
    expect(await store.read(['f:Thing:1'])).toEqual([undefined]);
    expect(stats.fencedReads).toBe(1);
    await expect(store.lease(['f:Thing:1'], 'token', 1000, 60)).rejects.toThrow(/being checked/);
    // Same Redis after the check: the same epoch, and what it held is read again.
    await store.check();
    expect(await store.read(['f:Thing:1'])).toEqual([{ kind: 'value', version: 1, json: '{"version":1}' }]);
    await store.close();
  });

  it('discards a read that was on its way when the fence went up (a reconnection to a Redis restarted from an older snapshot)', async () => {
    const state = { identity: 'R', served: true };
    let arrived: () => void = () => {};
    let release: () => void = () => {};
    let held = false;
    const { store, stats, connection } = fenced(state, undefined, (inner) => ({
      ...inner,
      read: async (keys) => {
        if (held) {
          arrived();
          await new Promise<void>((resolve) => (release = resolve));
        }
        return inner.read(keys);
      },
    }));
    await store.check();
    await store.write([entry(1)]);
    held = true;
    const onItsWay = new Promise<void>((resolve) => (arrived = resolve));
    const read = store.read(['f:Thing:1']);
    await onItsWay;
    // The connection drops and comes back while the read waits: its answer may come from the Redis after.
    connection.emit('-node');
    await store.check();
    release();
    expect(await read).toEqual([undefined]);
    expect(stats.fencedReads).toBe(1);
    held = false;
    expect(await store.read(['f:Thing:1'])).toEqual([{ kind: 'value', version: 1, json: '{"version":1}' }]);
    await store.close();
  });

  it('an instance that cannot confirm its Redis stops serving within staleAfterMs; a new epoch opens only after settleMs, on every instance', async () => {
    const a = { identity: 'X' as string | Error, served: true };
    const b = { identity: 'X' as string | Error, served: true };
    const timing = { staleAfterMs: 400, settleMs: 900 };
    const first = fenced(a, timing);
    const second = fenced(b, timing);
    await first.store.check();
    await second.store.check();
    const epoch = first.store.epoch()!;
    await first.store.write([entry(1)]);
    expect(await first.store.read(['f:Thing:1'])).toEqual([{ kind: 'value', version: 1, json: '{"version":1}' }]);

    // Redis changes: the first instance's view of it stops answering as before (a demoted or
    // frozen master), the second sees the new Redis and starts the next epoch.
    a.identity = new Error('role:slave');
    b.identity = 'Y';
    const started = performance.now();
    const adopting = second.store.check();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second.store.epoch()).toBeNull(); // the new epoch does not open at once...
    await first.store.check().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, timing.staleAfterMs + 50));
    // ...and by the time it could, the first instance has stopped serving the old one.
    expect(await first.store.read(['f:Thing:1'])).toEqual([undefined]);
    expect(first.store.epoch()).toBeNull();
    await adopting;
    expect(performance.now() - started).toBeGreaterThanOrEqual(timing.settleMs - 100);
    expect(second.store.epoch()).toBe(epoch + 1);
    await first.store.close();
    await second.store.close();
  });
});
