import type { Redis } from 'ioredis';
import type { CacheHit, CacheStats, CacheStore, CacheWrite } from './types.js';

/**
 * Entries are stored as `<version>|<json>`; an empty json is a tombstone.
 * The version prefix lets the compare-and-set script compare without decoding JSON.
 */
const SEPARATOR = '|';

/**
 * Compare-and-set, atomic inside Redis: store ARGV[2] under version ARGV[1]
 * only if the key is absent or holds a lower version. This is what makes
 * out-of-order writers and stale read-fills harmless: the highest version wins.
 */
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local stored = tonumber(string.match(current, '^(%d+)|'))
  if stored and stored >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1
`;

type RedisWithCas = Redis & {
  casSet(key: string, version: string, json: string, ttlSeconds: string): Promise<number>;
};

/** Parses a stored entry; `undefined` for anything not in the entry format. */
export function decodeEntry(raw: string | null): CacheHit | undefined {
  if (raw === null) return undefined;
  const at = raw.indexOf(SEPARATOR);
  const version = Number(raw.slice(0, at));
  if (at <= 0 || !Number.isSafeInteger(version)) return undefined;
  const json = raw.slice(at + 1);
  return json === '' ? { kind: 'tombstone', version } : { kind: 'value', version, json };
}

export interface RedisStoreOptions {
  /** A connected ioredis client; the store defines its script on it and owns it from then on. */
  redis: Redis;
  /** Counters to move; pass the same object to the loaders and the write-through. */
  stats: CacheStats;
}

/**
 * The Redis cache store: MGET for reads, one pipeline of compare-and-set
 * script calls for writes (ioredis loads the script once and calls it by
 * hash, EVALSHA, falling back to EVAL only if Redis lost it).
 */
export function createRedisStore({ redis, stats }: RedisStoreOptions): CacheStore {
  if (!('casSet' in redis)) redis.defineCommand('casSet', { numberOfKeys: 1, lua: CAS_SCRIPT });
  const client = redis as RedisWithCas;

  return {
    async read(keys) {
      if (keys.length === 0) return [];
      stats.readRoundTrips++;
      const raw = await client.mget(...keys);
      return raw.map(decodeEntry);
    },

    async write(entries: readonly CacheWrite[]) {
      if (entries.length === 0) return 0;
      stats.writeRoundTrips++;
      const pipeline = client.pipeline();
      for (const e of entries) {
        (pipeline as unknown as RedisWithCas).casSet(e.key, String(e.version), e.json ?? '', String(e.ttlSeconds));
      }
      const results = (await pipeline.exec()) ?? [];
      let written = 0;
      for (const [error, result] of results) {
        if (error) throw error;
        written += Number(result);
      }
      return written;
    },

    async remove(keys) {
      if (keys.length > 0) await client.del(...keys);
    },

    async ping() {
      await client.ping();
    },

    async close() {
      client.disconnect();
    },
  };
}
