import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { CacheHit, CacheRelease, CacheStats, CacheStore, CacheWrite, FillClaim, WriteOutcome } from './types.js';

/**
 * How entries live in Redis:
 * - a value is a STRING `<version>|<json>`; a tombstone is `<version>|` (empty json);
 *   a value with a shape (shape.ts) carries it as the first member of its JSON
 *   object, `<version>|{"@":"<shape>",...}`: code that predates shapes still
 *   parses the version (and its compare-and-set still holds), and a reader
 *   tells the shape from the first bytes;
 * - a lease is a HASH: one field `t:<token>` per writer in flight, plus the best
 *   entry known so far (`v` version, `j` json, `x` ttl seconds) to materialize when
 *   the last writer leaves. MGET answers nil for a hash, so readers simply miss
 *   and go to the database while a write is in flight.
 *
 * Every script compares versions (unless `compareAndSet` is off, for tests that
 * prove what breaks without it), atomically inside Redis.
 */

/**
 * Shared Lua: may a value of version `version` and stored JSON `json` replace
 * the STRING at `key`? Yes if newer; at an equal version, yes if both are
 * values and their shapes differ (the same row, as another version of the code
 * caches it: after a deploy, the new shape refills what the old one cached).
 */
const NEWER = `
local function shapeOf(json)
  return string.match(json, '^{"@":"([%w_%-]+)"') or ''
end
local function newer(key, version, json, mode)
  if mode ~= 'cas' then return true end
  local current = redis.call('GET', key)
  if not current then return true end
  local stored, storedJson = string.match(current, '^(%d+)|(.*)$')
  stored = tonumber(stored)
  if not stored or stored < tonumber(version) then return true end
  return stored == tonumber(version) and json ~= '' and storedJson ~= '' and shapeOf(json) ~= shapeOf(storedJson)
end
`;

/** Fill, repair, or publish without a lease. ARGV: version, json, ttl, mode. Returns WriteOutcome. */
const WRITE_SCRIPT = `${NEWER}
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'hash' then return 'leased' end
if kind == 'string' and not newer(KEYS[1], ARGV[1], ARGV[2], ARGV[4]) then return 'older' end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 'written'
`;

/** Before COMMIT: replace the value by a lease (keeping it as the fallback entry). ARGV: token, lease ms, ttl. */
const LEASE_SCRIPT = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'string' then
  local current = redis.call('GET', KEYS[1])
  local at = string.find(current, '|', 1, true)
  redis.call('DEL', KEYS[1])
  if at then
    redis.call('HSET', KEYS[1], 'v', string.sub(current, 1, at - 1), 'j', string.sub(current, at + 1), 'x', ARGV[3])
  end
elseif kind ~= 'hash' and kind ~= 'none' then
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], 't:' .. ARGV[1], '1')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * After COMMIT (with a value) or after a rollback (without): leave the lease,
 * keep the highest version seen, and if no other writer is in flight, turn the
 * lease back into that value. ARGV: token, version or '', json, ttl, mode.
 */
const RELEASE_SCRIPT = `${NEWER}
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'hash' then
  -- The lease is gone (expired, or Redis restarted): publish as a plain compare-and-set.
  if ARGV[2] == '' then return 'older' end
  if kind == 'string' and not newer(KEYS[1], ARGV[2], ARGV[3], ARGV[5]) then return 'older' end
  redis.call('SET', KEYS[1], ARGV[2] .. '|' .. ARGV[3], 'EX', ARGV[4])
  return 'written'
end
redis.call('HDEL', KEYS[1], 't:' .. ARGV[1])
if ARGV[2] ~= '' then
  local best = tonumber(redis.call('HGET', KEYS[1], 'v'))
  if ARGV[5] ~= 'cas' or not best or best < tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], 'v', ARGV[2], 'j', ARGV[3], 'x', ARGV[4])
  end
end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 2) == 't:' then return 'leased' end
end
local best = redis.call('HMGET', KEYS[1], 'v', 'j', 'x')
redis.call('DEL', KEYS[1])
if best[1] then redis.call('SET', KEYS[1], best[1] .. '|' .. best[2], 'EX', best[3]) end
return 'written'
`;

interface Scripts {
  wtWrite(key: string, version: string, json: string, ttl: string, mode: string): Promise<WriteOutcome>;
  wtLease(key: string, token: string, leaseMs: string, ttl: string): Promise<number>;
  wtRelease(key: string, token: string, version: string, json: string, ttl: string, mode: string): Promise<WriteOutcome>;
  del(key: string): Promise<number>;
}

const SHAPE = /^[A-Za-z0-9_-]{1,64}$/;
/** The shape member at the start of a stored JSON object, and what follows it (`,` more members, `}` none). */
const SHAPED = /^\{"@":"([A-Za-z0-9_-]{1,64})"([,}])/;

/** The JSON stored for a write: its shape, if any, as the first member of its object (see above). */
function storedJson({ json, shape }: CacheWrite): string {
  if (json === null) return '';
  if (shape === undefined) return json;
  if (!SHAPE.test(shape) || !json.startsWith('{'))
    throw new TypeError(`a cache value with a shape must be a JSON object and its shape match ${SHAPE}, got shape ${JSON.stringify(shape)}`);
  return json === '{}' ? `{"@":"${shape}"}` : `{"@":"${shape}",${json.slice(1)}`;
}

/**
 * Parses a stored entry; `undefined` for anything not in the entry format. A
 * value's shape (shape.ts) is returned apart, its JSON without it.
 */
export function decodeEntry(raw: string | null): CacheHit | undefined {
  if (raw === null) return undefined;
  const at = raw.indexOf('|');
  const version = Number(raw.slice(0, at));
  if (at <= 0 || !Number.isSafeInteger(version)) return undefined;
  const json = raw.slice(at + 1);
  if (json === '') return { kind: 'tombstone', version };
  const shaped = SHAPED.exec(json);
  if (!shaped) return { kind: 'value', version, json };
  return { kind: 'value', version, json: shaped[2] === '}' ? '{}' : `{${json.slice(shaped[0].length)}`, shape: shaped[1]! };
}

export interface RedisStoreTestingOptions {
  /**
   * A connected ioredis client: one node (or a Sentinel-managed primary), or a
   * `Cluster`. The store defines its scripts on it and owns it from then on.
   */
  redis: Redis | Cluster;
  /** Counters to move; pass the same object to the loaders and the write-through. */
  stats: CacheStats;
  /**
   * Compare versions on every write. Only tests turn this off, to show the
   * races it prevents. @default true
   */
  compareAndSet?: boolean;
  /** Told each round trip: the node it went to (`host:port`; `"redis"` on one node) and what for. */
  onRoundTrip?: (node: string, kind: 'read' | 'write') => void;
}

/**
 * Redis Cluster's rule: a multi-key command (MGET, DEL) needs all its keys in
 * one hash slot, and one pipeline goes to one node. Groups key positions by
 * the node serving their slot (from the client's slot map), then by slot, so
 * a batch costs one round trip per node it touches. A slot the map does not
 * know yet gets a group of its own (ioredis routes it).
 * Source: https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/ (key
 * distribution, CROSSSLOT); slots by `cluster-key-slot`, the function ioredis itself uses.
 */
export function groupBySlot(cluster: Pick<Cluster, 'slots'>, keys: readonly string[]): Map<string, Map<number, number[]>> {
  const nodes = new Map<string, Map<number, number[]>>();
  keys.forEach((key, i) => {
    const slot = calculateSlot(key);
    const node = cluster.slots[slot]?.[0] ?? `slot:${slot}`;
    let slots = nodes.get(node);
    if (!slots) nodes.set(node, (slots = new Map()));
    const positions = slots.get(slot);
    if (positions) positions.push(i);
    else slots.set(slot, [i]);
  });
  return nodes;
}

/**
 * The key of the fill lease of the entry at `key` (see `CacheStore.claimFills`):
 * `<key>#fill{<key>}`. It starts with the entry's key, so with its namespace
 * (key patterns of ACLs and scans hold), and its hash tag is the entry's whole
 * key, which (holding no braces: keys.ts) Redis Cluster hashes whole: both are
 * in one hash slot, and one pipeline to one node reads the one and claims the other.
 */
export const fillLeaseKey = (key: string): string => `${key}#fill{${key}}`;

/** Replies that mean "ask another node" or "not now": the command did not run and may be sent again. */
const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

/**
 * The Redis cache store: MGET for reads, one pipeline of script calls for
 * each batch of writes, leases or releases (ioredis loads each script once and
 * calls it by hash with EVALSHA, falling back to EVAL if Redis lost it).
 */
export function createRedisStore({ redis, stats, compareAndSet = true, onRoundTrip }: RedisStoreTestingOptions): CacheStore {
  if (!('wtWrite' in redis)) {
    redis.defineCommand('wtWrite', { numberOfKeys: 1, lua: WRITE_SCRIPT });
    redis.defineCommand('wtLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    redis.defineCommand('wtRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }
  const mode = compareAndSet ? 'cas' : 'blind';
  const cluster = 'isCluster' in redis && redis.isCluster ? (redis as Cluster) : null;
  const tripped = (node: string, kind: 'read' | 'write', counter: 'readRoundTrips' | 'writeRoundTrips') => {
    stats[counter]++;
    onRoundTrip?.(node, kind);
  };

  /** Key positions by the node serving them: one group on one node; on a cluster, one per node touched. */
  const byNode = (keys: readonly string[]): [string, number[]][] =>
    cluster ? [...groupBySlot(cluster, keys)].map(([node, slots]) => [node, [...slots.values()].flat()]) : [['redis', keys.map((_, i) => i)]];

  /**
   * Runs one script call per item: one pipeline on one node; on a cluster, one
   * pipeline per node touched, in parallel. One result per item, in order, the
   * first error thrown. A call a cluster redirected (resharding, failover) is
   * sent again on its own, and ioredis follows the redirection: every script is
   * idempotent, so a call that ran twice changes nothing more.
   */
  async function pipelined<T>(keys: readonly string[], queue: (p: Scripts, i: number) => void): Promise<T[]> {
    const results: T[] = new Array(keys.length);
    const groups = byNode(keys);
    await Promise.all(
      groups.map(async ([node, positions]) => {
        const pipeline = redis.pipeline();
        for (const i of positions) queue(pipeline as unknown as Scripts, i);
        tripped(node, 'write', 'writeRoundTrips');
        const replies = (await pipeline.exec()) ?? [];
        for (const [n, [error, result]] of replies.entries()) {
          const i = positions[n]!;
          if (error && cluster && REDIRECTED.test(error.message)) {
            const single = redis.pipeline();
            queue(single as unknown as Scripts, i);
            tripped(node, 'write', 'writeRoundTrips');
            const [[again, value]] = ((await single.exec()) ?? [[new Error('no reply')]]) as [[Error | null, unknown]];
            if (again) throw again;
            results[i] = value as T;
          } else if (error) {
            throw error;
          } else {
            results[i] = result as T;
          }
        }
      }),
    );
    return results;
  }

  return {
    async read(keys) {
      if (keys.length === 0) return [];
      if (!cluster) {
        tripped('redis', 'read', 'readRoundTrips');
        return (await redis.mget(...keys)).map(decodeEntry);
      }
      // One pipeline per node, one MGET per slot in it: one round trip per node touched.
      const results: (CacheHit | undefined)[] = new Array(keys.length);
      await Promise.all(
        [...groupBySlot(cluster, keys)].map(async ([node, slots]) => {
          const pipeline = cluster.pipeline();
          const groups = [...slots.values()];
          for (const positions of groups) pipeline.mget(...positions.map((i) => keys[i]!));
          tripped(node, 'read', 'readRoundTrips');
          const replies = (await pipeline.exec()) ?? [];
          for (const [g, [error, values]] of replies.entries()) {
            // A redirected read is retried by ioredis (MGET is read-only); anything else fails the batch.
            if (error) throw error;
            groups[g]!.forEach((i, k) => (results[i] = decodeEntry((values as (string | null)[])[k] ?? null)));
          }
        }),
      );
      return results;
    },

    async write(entries: readonly CacheWrite[]) {
      if (entries.length === 0) return [];
      return pipelined<WriteOutcome>(
        entries.map((e) => e.key),
        (p, i) => {
          const e = entries[i]!;
          void p.wtWrite(e.key, String(e.version), storedJson(e), String(e.ttlSeconds), mode);
        },
      );
    },

    async lease(keys, token, leaseMs, ttlSeconds) {
      if (keys.length === 0) return;
      await pipelined<number>(keys, (p, i) => void p.wtLease(keys[i]!, token, String(leaseMs), String(ttlSeconds)));
    },

    async release(token, items: readonly CacheRelease[]) {
      if (items.length === 0) return [];
      return pipelined<WriteOutcome>(
        items.map((item) => item.key),
        (p, i) => {
          const { key, write } = items[i]!;
          void p.wtRelease(key, token, write ? String(write.version) : '', write ? storedJson(write) : '', String(write?.ttlSeconds ?? 0), mode);
        },
      );
    },

    async remove(keys) {
      if (keys.length === 0) return;
      await pipelined<number>(keys, (p, i) => void p.del(keys[i]!));
    },

    // Per key, GET the entry and SET NX PX its fill lease (fillLeaseKey, same slot): one round trip per node.
    // A key that answers with an error (a writer's lease is a hash: WRONGTYPE; a redirection) is claimed as won:
    // the caller reads the database, as without fill leases.
    async claimFills(keys, leaseMs) {
      if (keys.length === 0) return [];
      const results: FillClaim[] = new Array(keys.length);
      const groups = byNode(keys);
      await Promise.all(
        groups.map(async ([node, positions]) => {
          const pipeline = redis.pipeline();
          for (const i of positions) pipeline.get(keys[i]!).set(fillLeaseKey(keys[i]!), '1', 'PX', leaseMs, 'NX');
          tripped(node, 'write', 'writeRoundTrips');
          const replies = (await pipeline.exec()) ?? [];
          positions.forEach((i, n) => {
            const [getError, value] = replies[2 * n] ?? [new Error('no reply')];
            const [setError, claimed] = replies[2 * n + 1] ?? [new Error('no reply')];
            const hit = getError ? undefined : decodeEntry((value as string | null) ?? null);
            results[i] = hit ? { hit } : { won: !!setError || claimed === 'OK' };
          });
        }),
      );
      return results;
    },

    async ping() {
      await redis.ping();
    },

    async close() {
      redis.disconnect();
    },
  };
}
