/**
 * An in-process cache store with the Redis store's semantics (versions,
 * compare-and-set, leases, tombstones, TTL), for a single API process with
 * no Redis. test/cache-store.test.ts runs one contract against both stores.
 *
 * Expired entries are dropped when touched; beyond `maxEntries`, the least
 * recently used are evicted (a miss is always safe).
 */
import type { CacheHit, CacheRelease, CacheStats, CacheStore, CacheWrite, FillClaim, WriteOutcome } from './types.js';

interface Best {
  version: number;
  json: string;
  shape?: string;
  ttlSeconds: number;
}

type Slot =
  { kind: 'entry'; version: number; json: string; shape?: string; expiresAt: number } | { kind: 'lease'; tokens: Set<string>; best?: Best; expiresAt: number };

export interface MemoryStoreTestingOptions {
  stats: CacheStats;
  /** Largest number of keys kept. @default 100000 */
  maxEntries?: number;
  /** Compare versions on every write (tests turn it off, as with Redis). @default true */
  compareAndSet?: boolean;
  /** Clock, in ms (tests). @default Date.now */
  now?: () => number;
}

export function createMemoryStore({ stats, maxEntries = 100_000, compareAndSet = true, now = Date.now }: MemoryStoreTestingOptions): CacheStore {
  const slots = new Map<string, Slot>();
  /** Fill leases: key → when the claim expires (ms, `now()`'s clock). */
  const fillClaims = new Map<string, number>();

  function get(key: string): Slot | undefined {
    const slot = slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= now()) {
      slots.delete(key);
      return undefined;
    }
    // Re-insert: Map order is then least recently used first.
    slots.delete(key);
    slots.set(key, slot);
    return slot;
  }

  function set(key: string, slot: Slot) {
    slots.delete(key);
    slots.set(key, slot);
    while (slots.size > maxEntries) slots.delete(slots.keys().next().value!);
  }

  /** As the Redis store's: newer, or at an equal version, a value of another shape than the stored value's (shape.ts). */
  const newer = (slot: Slot | undefined, write: CacheWrite) =>
    !compareAndSet ||
    slot?.kind !== 'entry' ||
    slot.version < write.version ||
    (slot.version === write.version && slot.json !== '' && write.json !== null && slot.shape !== write.shape);
  const entry = (version: number, json: string, shape: string | undefined, ttlSeconds: number): Slot => ({
    kind: 'entry',
    version,
    json,
    ...(shape !== undefined && json !== '' && { shape }),
    expiresAt: now() + ttlSeconds * 1000,
  });

  /** What a read of `key` answers: its value or tombstone; nothing for a miss or a lease. */
  function hitAt(key: string): CacheHit | undefined {
    const slot = get(key);
    if (slot?.kind !== 'entry') return undefined;
    if (slot.json === '') return { kind: 'tombstone', version: slot.version };
    return { kind: 'value', version: slot.version, json: slot.json, ...(slot.shape !== undefined && { shape: slot.shape }) };
  }

  function writeOne(write: CacheWrite): WriteOutcome {
    const slot = get(write.key);
    if (slot?.kind === 'lease') return 'leased';
    if (!newer(slot, write)) return 'older';
    set(write.key, entry(write.version, write.json ?? '', write.shape, write.ttlSeconds));
    return 'written';
  }

  function releaseOne(token: string, { key, write }: CacheRelease): WriteOutcome {
    const slot = get(key);
    if (slot?.kind !== 'lease') return write ? writeOne(write) : 'older';
    slot.tokens.delete(token);
    if (write && (!compareAndSet || !slot.best || slot.best.version < write.version)) {
      slot.best = { version: write.version, json: write.json ?? '', shape: write.shape, ttlSeconds: write.ttlSeconds };
    }
    if (slot.tokens.size > 0) return 'leased';
    slots.delete(key);
    if (slot.best) set(key, entry(slot.best.version, slot.best.json, slot.best.shape, slot.best.ttlSeconds));
    return 'written';
  }

  return {
    async read(keys) {
      if (keys.length === 0) return [];
      stats.readRoundTrips++;
      return keys.map(hitAt);
    },

    async write(writes) {
      if (writes.length === 0) return [];
      stats.writeRoundTrips++;
      return writes.map(writeOne);
    },

    async lease(keys, token, leaseMs, ttlSeconds) {
      if (keys.length === 0) return;
      stats.writeRoundTrips++;
      for (const key of keys) {
        const slot = get(key);
        const lease: Extract<Slot, { kind: 'lease' }> =
          slot?.kind === 'lease'
            ? slot
            : {
                kind: 'lease',
                tokens: new Set(),
                best: slot ? { version: slot.version, json: slot.json, shape: slot.shape, ttlSeconds } : undefined,
                expiresAt: 0,
              };
        lease.tokens.add(token);
        lease.expiresAt = now() + leaseMs;
        set(key, lease);
      }
    },

    async release(token, items) {
      if (items.length === 0) return [];
      stats.writeRoundTrips++;
      return items.map((item) => releaseOne(token, item));
    },

    async remove(keys) {
      if (keys.length === 0) return;
      stats.writeRoundTrips++;
      for (const key of keys) slots.delete(key);
    },

    async claimFills(keys, leaseMs) {
      if (keys.length === 0) return [];
      stats.writeRoundTrips++;
      const at = now();
      for (const [key, until] of fillClaims) if (until <= at) fillClaims.delete(key);
      return keys.map((key): FillClaim => {
        const hit = hitAt(key);
        if (hit) return { hit };
        if (fillClaims.has(key)) return { won: false };
        fillClaims.set(key, at + leaseMs);
        return { won: true };
      });
    },

    async ping() {},

    async close() {
      slots.clear();
    },
  };
}
