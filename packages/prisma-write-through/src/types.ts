/**
 * Public types of the write-through cache core. Nothing here knows the domain:
 * entities are described by configuration (see `CachedEntity`).
 */

/** A primary key value of a cached entity. */
export type EntityId = number | string;

/** What a cache read found for one key. `undefined` in a read result means a miss. */
export type CacheHit =
  /** `shape`: the fingerprint the entry was written with (see `CacheWrite.shape`); absent when written without. */
  | { kind: 'value'; version: number; json: string; shape?: string }
  /** The row was deleted: answer "not found" without asking the database. */
  | { kind: 'tombstone'; version: number };

/** The answer of `CacheStore.claimFills` for one key. */
export type FillClaim = { hit: CacheHit } | { won: boolean };

/** One compare-and-set write: stored only if the key holds no higher-or-equal version. */
export interface CacheWrite {
  key: string;
  version: number;
  /** JSON of the entity, or `null` for a tombstone. */
  json: string | null;
  /** Time to live of the entry, in seconds. */
  ttlSeconds: number;
  /**
   * Fingerprint of the entity's shape (shape.ts): what the code that wrote the
   * entry caches of it. Read back with the entry; a reader of another shape
   * takes it for a miss. At an equal version, a value of another shape
   * replaces the stored one (the same row, as the writer's code caches it),
   * so that after a deploy the new shape refills what the old one cached.
   * Letters, digits, `_` and `-`, at most 64; values only (a JSON object). Absent: no shape.
   */
  shape?: string;
}

/** What became of one write: stored, refused as older than what is stored, or refused because a writer holds a lease. */
export type WriteOutcome = 'written' | 'older' | 'leased';

/** One key a writer leaves after its transaction: with the committed entry, or without after a rollback. */
export interface CacheRelease {
  key: string;
  write?: CacheWrite;
}

/**
 * The cache store: small on purpose, so Redis can be swapped for another store
 * with the same semantics (versions, compare-and-set, leases, TTL).
 *
 * Each call is exactly one round trip to the store.
 */
export interface CacheStore {
  /** Reads many keys at once; one result per key, in key order, `undefined` for a miss (or a lease). */
  read(keys: readonly string[]): Promise<(CacheHit | undefined)[]>;
  /**
   * Compare-and-set of many keys at once (read-fills and repairs): each entry
   * is written only if the stored version is absent or lower, and never over
   * a lease. One outcome per entry.
   */
  write(entries: readonly CacheWrite[]): Promise<WriteOutcome[]>;
  /**
   * Before COMMIT: marks the keys as being written by `token`, replacing their
   * values, so that no read-fill can store an older value while the write is in
   * flight. Leases expire by themselves after `leaseMs` (if the writer dies).
   */
  lease(keys: readonly string[], token: string, leaseMs: number, ttlSeconds: number): Promise<void>;
  /**
   * After COMMIT or rollback: `token` leaves its leases, publishing its entries
   * (compare-and-set). The last writer to leave a key turns it back into the
   * highest version any of them published.
   */
  release(token: string, items: readonly CacheRelease[]): Promise<WriteOutcome[]>;
  /** Removes keys outright (tests and operators; the write path never needs it). */
  remove(keys: readonly string[]): Promise<void>;
  /**
   * Fill leases (optional): for each key, in the same round trip, the entry
   * it holds now (`{ hit }`: nothing to fill; a fill landed since the miss), or
   * the claim of the right to fill it from the database for `leaseMs` (ms):
   * `{ won: true }` where this caller won, `{ won: false }` where another
   * caller, in this process or another, holds it. A claim is never released:
   * it expires. See fills.ts. A store without it: every miss reads the
   * database (one read per key per batch).
   */
  claimFills?(keys: readonly string[], leaseMs: number): Promise<FillClaim[]>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How one cached entity is stored in the database. An entity is a root row
 * (with an integer version field: `version`, or the name set by the
 * generator's `versionField`) and, optionally, member rows in other models
 * that are cached with it as one aggregate (a cart and its items).
 */
export interface CachedEntity<Db = unknown, Row extends object = object> {
  /** Prisma model name of the root row, e.g. `"Product"`. */
  model: string;
  /**
   * Field of the root row holding its id: the model's id field in the
   * generated metadata, i.e. its single-field `@id`, or the single-field
   * unique named in the generator's `idFields` (e.g. `Comment.uuid`). An
   * `Int` or a `String`, never changed once written, never reused. @default "id"
   */
  idField?: string;
  /**
   * Models whose rows belong to this entity, each with the field that holds
   * the root's id (its `idField`), e.g. `{ CartItem: "cartId" }`. A write on a
   * member row increments the root's version, so the aggregate is cached as one value.
   */
  members?: Record<string, string>;
  /**
   * Set when the entity is one row of `model` exactly as a plain query returns
   * it, minus the fields in `omit` (e.g. `{ omit: ["passwordHash"] }`, or `{}`),
   * which is what `load` must then read. A write then returns the whole row
   * and that result is the read-back of what it committed: one query fewer per
   * write. Not for entities with `members` (their `load` reads more than the row).
   */
  row?: { omit?: readonly string[] };
  /**
   * Bump it (any string, e.g. `"2"`) whenever `load` changes what it caches
   * without the Prisma schema changing (a field computed, renamed or dropped in
   * `load`, another relation included): it is part of the entity's shape
   * fingerprint (shape.ts), so instances running the old `load` and the new one
   * never read each other's entries. Changes of the models' fields need no bump:
   * they come from the generated metadata.
   */
  shapeVersion?: string;
  /**
   * Reads the entities with these ids, in any order, exactly as they are to be
   * cached and served: with the version field, without secrets (`BigInt`
   * fields are cached and served as decimal strings). Ids must never be
   * reused once deleted (a tombstone keeps the id deleted for its TTL). Used by the read path
   * for misses and by the write path to capture what a transaction committed.
   */
  load(db: Db, ids: EntityId[]): Promise<Row[]>;
}

/**
 * Timings and sizes the cache core reports as they happen (metrics plug in
 * here; the core knows nothing of Prometheus).
 */
export interface CacheObserver {
  /** One loader batch of `keys` keys for `entity`, `hits` of them found in the cache. */
  loaderBatch?(entity: string, keys: number, hits: number): void;
  /** One write transaction, from its start to COMMIT (or rollback), in seconds. */
  transaction?(seconds: number, committed: boolean): void;
  /** One cache write after COMMIT (with its retries), in seconds. */
  publish?(seconds: number, ok: boolean): void;
  /**
   * A transaction failed for a transient `reason` (a closed set: see
   * `TransientReason`); `retried` is false when it gave up (the client got
   * TRANSACTION_CONFLICT).
   */
  transactionRetry?(reason: string, retried: boolean): void;
  /** One round trip to the store, to `node` (`host:port` on a Redis Cluster), for reads or writes. */
  roundTrip?(node: string, kind: 'read' | 'write'): void;
}

/** Counters the cache core moves; read by tests, metrics and the benchmark. */
export interface CacheStats {
  /** Round trips to the store for reads. */
  readRoundTrips: number;
  /** Round trips to the store for writes (after commit and read-fills). */
  writeRoundTrips: number;
  hits: number;
  misses: number;
  /** Reads that failed (store down or slow) and fell back to the database. */
  readFailures: number;
  /**
   * Values found in the cache in another shape than this code's (written by an
   * instance running another version of the code or of the schema, during a
   * rolling deploy): read from the database instead. Counted in `misses` too.
   */
  shapeMisses: number;
  /** Reads not even tried: the store was fenced (its Redis changed or is being checked: epoch.ts), so the database answered. */
  fencedReads: number;
  /** Writes after commit or fills that failed; the entries may be stale until repaired. */
  writeFailures: number;
  /** Leases that could not be taken before a commit. */
  leaseFailures: number;
  /** Outbox entries replayed by the reconciler. */
  repairs: number;
  /** Transactions run again after a transient failure (deadlock, serialization failure, timeout). */
  transactionRetries: number;
  /** Transactions that failed transiently on every attempt (TransactionConflictError). */
  transactionConflicts: number;
  /** Misses answered by a database read another request of this process had started after the miss (single-flight). */
  fillJoins: number;
  /** Misses that waited for another caller's fill (its fill lease) and then read the store again. */
  fillWaits: number;
  /** Of those, the ones that waited the whole `waitMs` and read the database themselves. */
  fillWaitTimeouts: number;
  /** Hits and misses by entity. */
  entities: Record<string, { hits: number; misses: number }>;
}

/** Counters at zero, to share between the write-through, the loaders, the reconciler and the store. */
export function createCacheStats(): CacheStats {
  return {
    readRoundTrips: 0,
    writeRoundTrips: 0,
    hits: 0,
    misses: 0,
    shapeMisses: 0,
    readFailures: 0,
    fencedReads: 0,
    writeFailures: 0,
    leaseFailures: 0,
    repairs: 0,
    transactionRetries: 0,
    transactionConflicts: 0,
    fillJoins: 0,
    fillWaits: 0,
    fillWaitTimeouts: 0,
    entities: {},
  };
}
