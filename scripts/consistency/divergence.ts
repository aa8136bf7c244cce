/**
 * The final divergence check: every cache entry under the namespace against
 * its PostgreSQL row (guarantee 3, convergence).
 *
 * - An entry is a Redis STRING `<version>|<json>`, the entity as the API caches
 *   it, its JSON starting with the shape fingerprint (`{"@":"<shape>",...}`,
 *   packages/prisma-write-through/src/shape.ts; not a column, so not compared).
 *   It matches when `version` and every scalar column of the row are equal
 *   (for `Cart:<userId>`: the version and the items as (productId, quantity)).
 * - `<version>|` (empty json) is a tombstone: divergent if the row exists.
 * - A key of another type (a lease, e.g. a HASH), or a string that is not in
 *   the entry format, is "in flight": it counts as absent (readers go to the
 *   database), and is reported.
 * - Keys under the namespace that are not `<Entity>:<id>` are counted as "other".
 * SCAN only (never KEYS).
 */
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import { now, sleep } from './time.js';

const ENTITY_KEY = /^(User|Product|Cart):([1-9][0-9]*)$/;
const ENTRY = /^([0-9]+)\|/;

export interface DivergentEntry {
  key: string;
  reason: string;
  cached: string;
  database: string;
}

export interface DivergenceSnapshot {
  /** Keys under the namespace. */
  keys: number;
  /** Entries equal to their row. */
  matching: number;
  /** Tombstones of rows that do not exist (correct). */
  tombstones: number;
  divergent: number;
  /** Entity keys that are not a `<version>|<json>` string: leases and the like (count as absent). */
  inFlight: number;
  inFlightByType: Record<string, number>;
  /** A few in-flight keys with their type and remaining time to live (ms; -1: none). */
  inFlightExamples: { key: string; type: string; pttl: number }[];
  /** Other keys under the namespace (outbox, locks, ...), by Redis type. */
  other: Record<string, number>;
  examples: DivergentEntry[];
}

type Row = Record<string, unknown>;

function stable(value: unknown): string {
  return JSON.stringify(value);
}

/** Compares a cached entity to its row; returns why they differ, or null. */
function compare(entity: string, cached: Row, row: Row): string | null {
  if (cached.version !== row.version) return `version ${String(cached.version)} in cache, ${String(row.version)} in the database`;
  if (entity === 'Cart') {
    const items = (list: unknown) =>
      (Array.isArray(list) ? (list as Row[]) : [])
        .map((i) => `${String(i.productId)}x${String(i.quantity)}`)
        .sort()
        .join(',');
    const a = items(cached.items);
    const b = items(row.items);
    return a === b ? null : `items [${a}] in cache, [${b}] in the database`;
  }
  for (const [column, value] of Object.entries(row)) {
    if (column === 'passwordHash') continue;
    if (stable(cached[column]) !== stable(value)) return `${column} ${stable(cached[column])} in cache, ${stable(value)} in the database`;
  }
  return null;
}

async function loadRows(pool: pg.Pool, ids: Record<string, number[]>): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  const users = ids.User ?? [];
  const products = ids.Product ?? [];
  const carts = ids.Cart ?? [];
  if (users.length) {
    const { rows: found } = await pool.query(`SELECT * FROM "User" WHERE id = ANY($1::int[])`, [users]);
    for (const r of found as Row[]) {
      delete r.passwordHash;
      rows.set(`User:${String(r.id)}`, r);
    }
  }
  if (products.length) {
    const { rows: found } = await pool.query(`SELECT * FROM "Product" WHERE id = ANY($1::int[])`, [products]);
    for (const r of found as Row[]) rows.set(`Product:${String(r.id)}`, r);
  }
  if (carts.length) {
    const { rows: found } = await pool.query(
      `SELECT c."userId", c.version,
              COALESCE(json_agg(json_build_object('productId', i."productId", 'quantity', i.quantity)) FILTER (WHERE i."cartId" IS NOT NULL), '[]') AS items
         FROM "Cart" c LEFT JOIN "CartItem" i ON i."cartId" = c."userId"
        WHERE c."userId" = ANY($1::int[])
        GROUP BY c."userId", c.version`,
      [carts],
    );
    for (const r of found as Row[]) rows.set(`Cart:${String(r.userId)}`, r);
  }
  return rows;
}

/** The key prefix of the current cache epoch: the namespace in epoch 1, `<namespace>e<n>:` after. */
async function epochPrefix(pool: pg.Pool, namespace: string): Promise<string> {
  const { rows } = await pool.query<{ epoch: number | null }>('SELECT max("epoch") AS "epoch" FROM "CacheEpoch"');
  const epoch = rows[0]?.epoch ?? 1;
  return epoch === 1 ? namespace : `${namespace}e${epoch}:`;
}

/** Every key matching `pattern`, by SCAN (on every master of a Cluster), each once. */
async function scanAll(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  const servers = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const keys: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return [...new Set(keys)]; // SCAN may return a key twice
}

/** One single-key command per key: a pipeline on one server, one command each (routed by slot) on a Cluster. */
async function perKey(redis: Redis | Cluster, command: 'type' | 'get' | 'pttl', keys: string[]): Promise<unknown[]> {
  if (keys.length === 0) return [];
  if (redis.isCluster) return Promise.all(keys.map((k) => (redis as Cluster)[command](k).catch(() => null)));
  const replies = (await (redis as Redis).pipeline(keys.map((k) => [command, k])).exec()) ?? [];
  return replies.map((r) => r?.[1] ?? null);
}

/** One pass over every key under `namespace`. */
export async function checkDivergence(redis: Redis | Cluster, pool: pg.Pool, namespace: string, maxExamples = 10): Promise<DivergenceSnapshot> {
  const snapshot: DivergenceSnapshot = {
    keys: 0,
    matching: 0,
    tombstones: 0,
    divergent: 0,
    inFlight: 0,
    inFlightByType: {},
    inFlightExamples: [],
    other: {},
    examples: [],
  };
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

  const unique = await scanAll(redis, `${namespace}*`);
  snapshot.keys = unique.length;
  // Only the current cache epoch is ever read (packages/prisma-write-through/src/epoch.ts): its keys are checked; keys of
  // earlier epochs are unreachable leftovers (they expire), counted apart as "retired epoch".
  const prefix = await epochPrefix(pool, namespace);

  const typed = await perKey(redis, 'type', unique);
  const entries: { key: string; entity: string; id: number }[] = [];
  const inFlightKeys: { key: string; type: string }[] = [];
  unique.forEach((key, i) => {
    const type = String(typed[i] ?? 'none');
    const match = key.startsWith(prefix) ? ENTITY_KEY.exec(key.slice(prefix.length)) : null;
    if (type === 'none') return; // expired between SCAN and TYPE
    if (key.includes('#fill{')) return void bump(snapshot.other, 'fill lease'); // a miss's claim (fills.ts), not an entry
    if (!match && /^(e\d+:)?(User|Product|Cart):\d+$/.test(key.slice(namespace.length))) return void bump(snapshot.other, 'retired epoch');
    if (!match) return void bump(snapshot.other, type);
    if (type !== 'string') {
      snapshot.inFlight++;
      if (inFlightKeys.length < 5) inFlightKeys.push({ key, type });
      return void bump(snapshot.inFlightByType, type);
    }
    entries.push({ key, entity: match[1]!, id: Number(match[2]) });
  });

  const values = (await perKey(
    redis,
    'get',
    entries.map((e) => e.key),
  )) as (string | null)[];
  const ids: Record<string, number[]> = {};
  for (const e of entries) (ids[e.entity] ??= []).push(e.id);
  const rows = await loadRows(pool, ids);

  entries.forEach((e, i) => {
    const raw = values[i];
    if (raw === null || raw === undefined) return; // gone since: absent is fine
    const row = rows.get(`${e.entity}:${e.id}`);
    const diverge = (reason: string) => {
      snapshot.divergent++;
      if (snapshot.examples.length < maxExamples) {
        snapshot.examples.push({ key: e.key, reason, cached: raw.slice(0, 300), database: row ? JSON.stringify(row).slice(0, 300) : '(no row)' });
      }
    };
    const header = ENTRY.exec(raw);
    if (!header) {
      snapshot.inFlight++;
      if (inFlightKeys.length < 5) inFlightKeys.push({ key: e.key, type: 'string' });
      return void bump(snapshot.inFlightByType, 'string (not an entry)');
    }
    const json = raw.slice(header[0].length);
    if (json === '') {
      if (row) diverge(`tombstone (version ${header[1]}) but the row exists`);
      else snapshot.tombstones++;
      return;
    }
    if (!row) return diverge('cached value but no row');
    let cached: Row;
    try {
      cached = JSON.parse(json) as Row;
    } catch {
      return diverge('unparsable JSON');
    }
    if (String(cached.version) !== header[1]) return diverge(`entry prefix version ${header[1]} but JSON version ${String(cached.version)}`);
    const why = compare(e.entity, cached, row);
    if (why) diverge(why);
    else snapshot.matching++;
  });
  if (inFlightKeys.length) {
    const ttls = await perKey(
      redis,
      'pttl',
      inFlightKeys.map((k) => k.key),
    );
    snapshot.inFlightExamples = inFlightKeys.map((k, i) => ({ ...k, pttl: Number(ttls[i] ?? -2) }));
  }
  return snapshot;
}

export interface ConvergenceResult {
  /** The first check at or after the end of the quiet period. */
  afterQuietPeriod: DivergenceSnapshot;
  /** The last check: at convergence, or at the deadline. */
  final: DivergenceSnapshot;
  converged: boolean;
  /** When the cache was found converged, and stayed so until the end (null if it never did). */
  convergedAt: number | null;
  checks: number;
}

/**
 * Polls `checkDivergence` every `intervalMs` from now on (the load has
 * stopped). Stops at the first converged check at or after `quietUntil`, or
 * when `deadline` is passed. `convergedAt` is the first check of the final
 * converged stretch, so convergence seen during the quiet period is timed
 * precisely.
 */
export async function waitForConvergence(
  redis: Redis | Cluster,
  pool: pg.Pool,
  namespace: string,
  { quietUntil, deadline, intervalMs = 100, signal }: { quietUntil: number; deadline: number; intervalMs?: number; signal?: AbortSignal },
): Promise<ConvergenceResult> {
  let afterQuietPeriod: DivergenceSnapshot | undefined;
  let convergedAt: number | null = null;
  let checks = 0;
  for (;;) {
    const at = now();
    const snapshot = await checkDivergence(redis, pool, namespace);
    checks++;
    if (snapshot.divergent === 0) convergedAt ??= at;
    else convergedAt = null;
    if (at >= quietUntil) afterQuietPeriod ??= snapshot;
    const over = (at >= quietUntil && snapshot.divergent === 0) || now() >= deadline || signal?.aborted;
    if (over) {
      return {
        afterQuietPeriod: afterQuietPeriod ?? snapshot,
        final: snapshot,
        converged: snapshot.divergent === 0,
        convergedAt: snapshot.divergent === 0 ? convergedAt : null,
        checks,
      };
    }
    await sleep(intervalMs, signal);
  }
}
