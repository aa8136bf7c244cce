/**
 * The cache store contract: what every `CacheStore` must answer alike (the
 * Redis store on one node, Sentinel or a Cluster, the in-process store, a
 * store of your own), as a list of test cases for any test runner:
 *
 *   for (const { name, run } of storeContract({ make: () => createMemoryStore({ stats }) })) it(name, run);
 *
 * A case throws (`node:assert`) when the store answers otherwise. Each writes
 * keys of its own only. By default the cases write made-up keys and JSON;
 * `entries` makes them write an application's own (keys and rows of its
 * cached entities, e.g. from `createEntries`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TOMBSTONE_VERSION } from './entries.js';
import type { CacheHit, CacheStore, CacheWrite } from './types.js';

/** What the contract's cases write. */
export interface StoreContractEntries {
  /** A key no other case (or run) uses. */
  key(): string;
  /** An entry of `key` at `version`; entries of one key and version differ in JSON by `variant` (0, 1, 2). */
  value(key: string, version: number, variant?: number): CacheWrite;
}

export interface StoreContractOptions {
  /** Makes a store: the one under test (once, when the first case runs), and one with `compareAndSet: false` (blind writes, a testing switch). */
  make(options?: { compareAndSet?: boolean }): CacheStore;
  /** Resolves once the stores made so far are ready (their connections up). */
  ready?(): Promise<void>;
  /** @default made-up keys (`contract-<random>:Thing:1`) and JSON (`{"v":<version>}`), without a shape */
  entries?: StoreContractEntries;
}

/** One case: its name, and a function that resolves when the store keeps the contract. */
export interface StoreContractCase {
  name: string;
  run(): Promise<void>;
}

const madeUp: StoreContractEntries = {
  key: () => `contract-${randomBytes(6).toString('hex')}:Thing:1`,
  value: (key, version, variant = 0) => ({ key, version, json: variant ? `{"v":${version},"variant":${variant}}` : `{"v":${version}}`, ttlSeconds: 60 }),
};

/** What a read of `write` must give back. */
const hitOf = ({ version, json, shape }: CacheWrite): CacheHit => ({ kind: 'value', version, json: json!, ...(shape !== undefined && { shape }) });

/** The contract's cases (see the top of this file). */
export function storeContract({ make, ready = async () => {}, entries = madeUp }: StoreContractOptions): StoreContractCase[] {
  let made: CacheStore | undefined;
  // Made when the first case runs (a cluster may only exist by then).
  const storeOf = async () => {
    if (!made) {
      made = make();
      await ready();
    }
    return made;
  };
  const { key, value } = entries;
  const cases: [string, (store: CacheStore) => Promise<void>][] = [
    [
      'reads one result per key, in order, undefined for a miss',
      async (store) => {
        const [a, b] = [key(), key()];
        await store.write([value(b, 1)]);
        assert.deepEqual(await store.read([a, b, a]), [undefined, hitOf(value(b, 1)), undefined]);
      },
    ],
    [
      'compare-and-set: an older or equal version is refused, a newer one written',
      async (store) => {
        const k = key();
        assert.deepEqual(await store.write([value(k, 2)]), ['written']);
        assert.deepEqual(await store.write([value(k, 1), value(k, 2, 1)]), ['older', 'older']);
        assert.deepEqual(await store.write([value(k, 3)]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(value(k, 3))]);
      },
    ],
    [
      'a tombstone reads as one, and refuses any lower version',
      async (store) => {
        const k = key();
        await store.write([{ key: k, version: TOMBSTONE_VERSION, json: null, ttlSeconds: 60 }]);
        assert.deepEqual(await store.read([k]), [{ kind: 'tombstone', version: TOMBSTONE_VERSION }]);
        assert.deepEqual(await store.write([value(k, 99)]), ['older']);
      },
    ],
    [
      'a lease hides the value and refuses fills; its release publishes the new value',
      async (store) => {
        const k = key();
        await store.write([value(k, 1)]);
        await store.lease([k], 'w1', 5000, 60);
        assert.deepEqual(await store.read([k]), [undefined]);
        assert.deepEqual(await store.write([value(k, 1)]), ['leased']);
        assert.deepEqual(await store.release('w1', [{ key: k, write: value(k, 2) }]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(value(k, 2))]);
      },
    ],
    [
      'a release without a value (rollback) brings the old value back',
      async (store) => {
        const k = key();
        await store.write([value(k, 4)]);
        await store.lease([k], 'w1', 5000, 60);
        await store.release('w1', [{ key: k }]);
        assert.deepEqual(await store.read([k]), [hitOf(value(k, 4))]);
      },
    ],
    [
      'two writers in flight: neither releases the other, and the highest version wins whatever the order',
      async (store) => {
        const k = key();
        await store.lease([k], 'w1', 5000, 60);
        await store.lease([k], 'w2', 5000, 60);
        assert.deepEqual(await store.release('w2', [{ key: k, write: value(k, 3) }]), ['leased']);
        assert.deepEqual(await store.read([k]), [undefined]); // w1 is still in flight
        assert.deepEqual(await store.release('w1', [{ key: k, write: value(k, 2) }]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(value(k, 3))]);
      },
    ],
    [
      'a lease expires by itself (a writer that died)',
      async (store) => {
        const k = key();
        await store.write([value(k, 1)]);
        await store.lease([k], 'dead', 50, 60);
        await new Promise((resolve) => setTimeout(resolve, 120));
        assert.deepEqual(await store.read([k]), [undefined]);
        assert.deepEqual(await store.write([value(k, 2)]), ['written']);
      },
    ],
    [
      'a release whose lease is gone publishes with compare-and-set',
      async (store) => {
        const k = key();
        await store.write([value(k, 5)]);
        assert.deepEqual(await store.release('gone', [{ key: k, write: value(k, 4) }]), ['older']);
        assert.deepEqual(await store.release('gone', [{ key: k, write: value(k, 6) }]), ['written']);
        assert.deepEqual(await store.release('gone', [{ key: k }]), ['older']);
        assert.equal((await store.read([k]))[0]?.version, 6);
      },
    ],
    [
      'shapes: a value reads back with its shape; at an equal version another shape replaces it, the same shape does not',
      async (store) => {
        const k = key();
        const [A, B] = ['aaaa1111', 'bbbb2222'];
        const shaped = (version: number, shape: string, variant = 0): CacheWrite => ({ ...value(k, version, variant), shape });
        assert.deepEqual(await store.write([shaped(2, A)]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(shaped(2, A))]);
        assert.deepEqual(await store.write([shaped(2, A, 1), shaped(1, B)]), ['older', 'older']);
        // The same row, as code of another shape caches it (a rolling deploy): it takes the key over.
        assert.deepEqual(await store.write([shaped(2, B, 2)]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(shaped(2, B, 2))]);
        // A rolled-back lease brings the shape back with the value; a release publishes the writer's shape.
        await store.lease([k], 'w1', 5000, 60);
        assert.deepEqual(await store.write([shaped(2, A)]), ['leased']);
        await store.release('w1', [{ key: k }]);
        assert.deepEqual(await store.read([k]), [hitOf(shaped(2, B, 2))]);
        await store.lease([k], 'w2', 5000, 60);
        assert.deepEqual(await store.release('w2', [{ key: k, write: shaped(3, A) }]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(shaped(3, A))]);
        // A value without a shape is one more shape; a tombstone is never replaced at its version.
        const { shape: _shape, ...plain } = value(k, 3);
        assert.deepEqual(await store.write([plain]), ['written']);
        assert.deepEqual(await store.read([k]), [hitOf(plain)]);
        const [empty, gone] = [key(), key()];
        await store.write([
          { ...value(empty, 1), json: '{}', shape: 'cccc3333' },
          { key: gone, version: 5, json: null, ttlSeconds: 60 },
        ]);
        assert.deepEqual(await store.read([empty]), [{ kind: 'value', version: 1, json: '{}', shape: 'cccc3333' }]);
        assert.deepEqual(await store.write([{ ...value(gone, 5), shape: 'cccc3333' }]), ['older']);
      },
    ],
    [
      'fill leases (claimFills, where the store has it): one winner per key until the lease expires; an entry is answered instead of a claim',
      async (store) => {
        if (!store.claimFills) return;
        const [cold, warm, tomb] = [key(), key(), key()];
        await store.write([value(warm, 4), { key: tomb, version: 2, json: null, ttlSeconds: 60 }]);
        assert.deepEqual(await store.claimFills([cold, warm, tomb], 150), [
          { won: true },
          { hit: hitOf(value(warm, 4)) },
          { hit: { kind: 'tombstone', version: 2 } },
        ]);
        assert.deepEqual(await store.claimFills([cold], 150), [{ won: false }]);
        // A fill that landed is answered to the next claimer, lease or not.
        await store.write([value(cold, 1)]);
        assert.deepEqual(await store.claimFills([cold], 150), [{ hit: hitOf(value(cold, 1)) }]);
        // Never released: it expires, and then the next claimer wins.
        const other = key();
        assert.deepEqual(await store.claimFills([other], 100), [{ won: true }]);
        await new Promise((resolve) => setTimeout(resolve, 250));
        assert.deepEqual(await store.claimFills([other], 100), [{ won: true }]);
        // A lease key never shows as an entry.
        assert.deepEqual(await store.read([cold, other]), [hitOf(value(cold, 1)), undefined]);
      },
    ],
    [
      'with compare-and-set off (tests only), the last write wins',
      async () => {
        const blind = make({ compareAndSet: false });
        await ready();
        const k = key();
        await blind.write([value(k, 2)]);
        assert.deepEqual(await blind.write([value(k, 1)]), ['written']);
        assert.equal((await blind.read([k]))[0]?.version, 1);
      },
    ],
  ];
  return cases.map(([name, check]) => ({ name, run: async () => check(await storeOf()) }));
}
