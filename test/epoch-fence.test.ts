/**
 * The cache epoch fence (packages/prisma-write-through/src/epoch.ts) on its own: an in-process store,
 * an identity the test controls, a connection whose events the test emits,
 * and epochs agreed in a real PostgreSQL database.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCacheStats, withEpochFence } from 'prisma-write-through';
import { createMemoryStore } from 'prisma-write-through';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ REDIS_URL: '' }); // no fence of its own: the epoch table is this test's
});
afterAll(() => api?.close());

function fenced(state: { identity: string; served: boolean }) {
  const stats = createCacheStats();
  const connection = new EventEmitter();
  const store = withEpochFence({
    store: createMemoryStore({ stats }),
    stats,
    namespace: 'f:',
    db: api.services.rawDb,
    identify: async () => state.identity,
    stillServed: () => state.served,
    connection,
    checkIntervalMs: 60_000,
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
});
