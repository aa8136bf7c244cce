/**
 * The cache store contract: the same calls must give the same outcomes on
 * every store (one Redis, a Redis Cluster, the in-process store). `ready`
 * waits for the store's connections, if any.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import type { CacheStore } from 'prisma-write-through';

export function storeContract(make: (options?: { compareAndSet?: boolean }) => CacheStore, ready: () => Promise<void> = async () => {}) {
  // Made once the suite runs (a cluster may only exist by then).
  let store: CacheStore;
  beforeAll(async () => {
    store = make();
    await ready();
  });
  const key = () => `contract-${randomBytes(6).toString('hex')}:Thing:1`;
  const value = (k: string, version: number, json = `{"v":${version}}`, ttlSeconds = 60) => ({ key: k, version, json, ttlSeconds });
  const read = async (k: string) => (await store.read([k]))[0];

  it('reads one result per key, in order, undefined for a miss', async () => {
    const [a, b] = [key(), key()];
    await store.write([value(b, 1)]);
    expect(await store.read([a, b, a])).toEqual([undefined, { kind: 'value', version: 1, json: '{"v":1}' }, undefined]);
  });

  it('compare-and-set: an older or equal version is refused, a newer one written', async () => {
    const k = key();
    expect(await store.write([value(k, 2)])).toEqual(['written']);
    expect(await store.write([value(k, 1), value(k, 2, '"again"')])).toEqual(['older', 'older']);
    expect(await store.write([value(k, 3)])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 3, json: '{"v":3}' });
  });

  it('a tombstone reads as one, and refuses any lower version', async () => {
    const k = key();
    await store.write([{ key: k, version: Number.MAX_SAFE_INTEGER, json: null, ttlSeconds: 60 }]);
    expect(await read(k)).toEqual({ kind: 'tombstone', version: Number.MAX_SAFE_INTEGER });
    expect(await store.write([value(k, 99)])).toEqual(['older']);
  });

  it('a lease hides the value and refuses fills; its release publishes the new value', async () => {
    const k = key();
    await store.write([value(k, 1)]);
    await store.lease([k], 'w1', 5000, 60);
    expect(await read(k)).toBeUndefined();
    expect(await store.write([value(k, 1)])).toEqual(['leased']);
    expect(await store.release('w1', [{ key: k, write: value(k, 2) }])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 2, json: '{"v":2}' });
  });

  it('a release without a value (rollback) brings the old value back', async () => {
    const k = key();
    await store.write([value(k, 4)]);
    await store.lease([k], 'w1', 5000, 60);
    await store.release('w1', [{ key: k }]);
    expect(await read(k)).toEqual({ kind: 'value', version: 4, json: '{"v":4}' });
  });

  it('two writers in flight: neither releases the other, and the highest version wins whatever the order', async () => {
    const k = key();
    await store.lease([k], 'w1', 5000, 60);
    await store.lease([k], 'w2', 5000, 60);
    expect(await store.release('w2', [{ key: k, write: value(k, 3) }])).toEqual(['leased']);
    expect(await read(k)).toBeUndefined(); // w1 is still in flight
    expect(await store.release('w1', [{ key: k, write: value(k, 2) }])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 3, json: '{"v":3}' });
  });

  it('a lease expires by itself (a writer that died)', async () => {
    const k = key();
    await store.write([value(k, 1)]);
    await store.lease([k], 'dead', 50, 60);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await read(k)).toBeUndefined();
    expect(await store.write([value(k, 2)])).toEqual(['written']);
  });

  it('a release whose lease is gone publishes with compare-and-set', async () => {
    const k = key();
    await store.write([value(k, 5)]);
    expect(await store.release('gone', [{ key: k, write: value(k, 4) }])).toEqual(['older']);
    expect(await store.release('gone', [{ key: k, write: value(k, 6) }])).toEqual(['written']);
    expect(await store.release('gone', [{ key: k }])).toEqual(['older']);
    expect((await read(k))?.version).toBe(6);
  });

  it('shapes: a value reads back with its shape; at an equal version another shape replaces it, the same shape does not', async () => {
    const k = key();
    const shaped = (version: number, shape: string, json = `{"v":${version},"by":"${shape}"}`) => ({ ...value(k, version, json), shape });
    expect(await store.write([shaped(2, 'aaaa1111')])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 2, json: '{"v":2,"by":"aaaa1111"}', shape: 'aaaa1111' });
    expect(await store.write([shaped(2, 'aaaa1111', '{"again":1}'), shaped(1, 'bbbb2222')])).toEqual(['older', 'older']);
    // The same row, as code of another shape caches it (a rolling deploy): it takes the key over.
    expect(await store.write([shaped(2, 'bbbb2222')])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 2, json: '{"v":2,"by":"bbbb2222"}', shape: 'bbbb2222' });
    // A rolled-back lease brings the shape back with the value; a release publishes the writer's shape.
    await store.lease([k], 'w1', 5000, 60);
    expect(await store.write([shaped(2, 'aaaa1111')])).toEqual(['leased']);
    await store.release('w1', [{ key: k }]);
    expect(await read(k)).toEqual({ kind: 'value', version: 2, json: '{"v":2,"by":"bbbb2222"}', shape: 'bbbb2222' });
    await store.lease([k], 'w2', 5000, 60);
    expect(await store.release('w2', [{ key: k, write: shaped(3, 'aaaa1111') }])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 3, json: '{"v":3,"by":"aaaa1111"}', shape: 'aaaa1111' });
    // A value without a shape is one more shape; a tombstone is never replaced at its version.
    expect(await store.write([value(k, 3)])).toEqual(['written']);
    expect(await read(k)).toEqual({ kind: 'value', version: 3, json: '{"v":3}' });
    const [empty, gone] = [key(), key()];
    await store.write([{ ...value(empty, 1, '{}'), shape: 'cccc3333' }, { key: gone, version: 5, json: null, ttlSeconds: 60 }]);
    expect(await read(empty)).toEqual({ kind: 'value', version: 1, json: '{}', shape: 'cccc3333' });
    expect(await store.write([{ ...value(gone, 5, '{}'), shape: 'cccc3333' }])).toEqual(['older']);
  });

  it('with compare-and-set off (tests only), the last write wins', async () => {
    const blind = make({ compareAndSet: false });
    await ready();
    const k = key();
    await blind.write([value(k, 2)]);
    expect(await blind.write([value(k, 1)])).toEqual(['written']);
    expect((await blind.read([k]))[0]?.version).toBe(1);
  });
}
