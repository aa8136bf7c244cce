/**
 * The cache epoch: a fence against a Redis that went back in time.
 *
 * Redis may lose acknowledged writes or return to an older state: a failover
 * promotes a replica that missed the last writes (replication is
 * asynchronous), a restart reloads an RDB/AOF written before them, a backup is
 * restored, or another server answers at the same address. Whatever it then
 * holds may be older than what clients were told, and the outbox rows that
 * could repair it are gone. Compare-and-set cannot help: the newer version is
 * what was lost.
 *
 * So every cache key carries an epoch, and each epoch belongs to one Redis
 * identity (`run_id`, which changes on every restart, and `master_replid`,
 * which changes on every promotion; per master on a Cluster). Epochs are agreed
 * in PostgreSQL (table `CacheEpoch`), so every instance uses the same one.
 * When an instance finds its Redis is not the one of the current epoch, it
 * starts a new epoch: every entry written before becomes unreachable (it
 * expires by its TTL), and the cache refills from PostgreSQL. Until an
 * instance has checked the identity (at start, after every reconnection,
 * after a change seen by the periodic check), it is fenced: reads miss (and go
 * to PostgreSQL), leases and publishes fail (so writes follow the write policy
 * and the outbox repairs them in the new epoch).
 *
 * Instances see a change at different times (on a Cluster, a failover of one
 * master drops no connection to the others). So no instance serves an epoch
 * without a successful identity check in the last `staleAfterMs`, and a new
 * epoch opens `settleMs` (longer) after it started, on every instance: every
 * instance still on the old epoch has stopped serving it before anything is
 * read or acknowledged in the new one. Without this wait, an instance still
 * reading the old epoch's keys on an unaffected master misses a write another
 * instance already published in the new epoch (seen by the consistency
 * checker on a Cluster: 79 stale reads in 100,000 operations).
 *
 * The price: a cold cache after every failover or restart, and `settleMs` of
 * reads from PostgreSQL (writes refused under the `fail` policy) when an epoch
 * changes. What it buys: no read of anything Redis kept from before the
 * change, whatever the change was, on any instance.
 */
import { CacheUnavailableError } from './errors.js';
import type { SqlClient } from './outbox.js';
import type { CacheStats, CacheStore, FillClaim, WriteOutcome } from './types.js';

/** What the fence needs of a connection: its events. ioredis `Redis` and `Cluster` qualify. */
export interface ConnectionEvents {
  on(event: string, listener: (...args: any[]) => void): unknown;
}

export interface EpochFenceOptions {
  /** The store to fence (its keys are rewritten to carry the epoch). */
  store: CacheStore;
  /** Counters: reads answered as misses while fenced are counted in `fencedReads`. */
  stats: CacheStats;
  /** The namespace every key starts with; the epoch goes right after it. */
  namespace: string;
  /** PostgreSQL, where epochs are agreed (a client without the write-through extension). */
  db: SqlClient & { $transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> };
  /** The identity of the Redis behind the store, e.g. from `redisIdentity`. Rejects when Redis does not answer. */
  identify(): Promise<string>;
  /**
   * Asked after every read with the keys read: false when they were not all
   * served by the Redis `identify` last described (on a Cluster, a promotion
   * the client followed by MOVED, without a reconnection). The read is then
   * answered as misses and the identity checked at once. @default always true
   */
  stillServed?: (keys: readonly string[]) => boolean;
  /** The connection: fenced on `close` and `-node`, checked again on `ready`, `+node` and `-node`. */
  connection: ConnectionEvents;
  /** How often the Redis identity is checked anyway (one INFO per master), in ms. @default 1000 */
  checkIntervalMs?: number;
  /**
   * An open instance whose last successful identity check is older than this
   * fences itself (reads go to PostgreSQL) until a check succeeds, in ms: so
   * no instance keeps serving an epoch longer than this after Redis changed.
   * @default checkIntervalMs + 500
   */
  staleAfterMs?: number;
  /**
   * A new epoch (one that replaces another) opens this long after it was
   * started, on every instance, in ms: longer than `staleAfterMs`, so every
   * instance still on the previous epoch has stopped serving it before anything
   * is read or acknowledged in the new one. @default staleAfterMs + 500
   */
  settleMs?: number;
  /** Table of epochs. @default "CacheEpoch" */
  table?: string;
  /** Told when an epoch is adopted (after a check) or started (after a change). */
  onEpoch?: (epoch: number, started: boolean) => void;
  /** Told when a check fails (the store stays fenced and tries again). */
  onError?: (error: unknown) => void;
}

/** A store under an epoch fence. */
export interface EpochFencedStore extends CacheStore {
  /** The epoch in use, or null while fenced. */
  epoch(): number | null;
  /** Checks the identity now (fencing until done); resolves once checked, rejects if it could not be. */
  check(): Promise<void>;
}

/** The identity of one Redis server from its INFO: `<run_id>/<master_replid>`. */
export function identityFromInfo(info: string): string {
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? '?';
  return `${field('run_id')}/${field('master_replid')}`;
}

const fenced = () => new CacheUnavailableError('The cache is being checked after Redis changed: try again shortly');

/**
 * Wraps `store` in the epoch fence (see above). Starts fenced and checks at
 * once. The key of epoch 1 is the plain key (`sf:Product:1`); later epochs
 * insert `e<n>:` after the namespace (`sf:e2:Product:1`).
 */
export function withEpochFence(options: EpochFenceOptions): EpochFencedStore {
  const { store, namespace, db, identify, connection } = options;
  const table = options.table ?? 'CacheEpoch';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) throw new TypeError(`epoch table must be a plain SQL identifier, got ${JSON.stringify(table)}`);
  const onError = options.onError ?? (() => {});
  /** The epoch last adopted (kept while fenced: it decides who may start the next one). */
  let adopted: { epoch: number; identity: string } | null = null;
  /** False while fenced. */
  let open = false;
  let checking: Promise<void> | null = null;
  /** Bumped whenever the fence goes up: a check that began before cannot lower it. */
  let generation = 0;
  /** When the last successful identity check began (performance.now()). */
  let confirmedAt = Number.NEGATIVE_INFINITY;
  const checkIntervalMs = options.checkIntervalMs ?? 1000;
  const staleAfterMs = options.staleAfterMs ?? checkIntervalMs + 500;
  const settleMs = options.settleMs ?? staleAfterMs + 500;
  if (!(settleMs > staleAfterMs)) throw new TypeError(`settleMs (${settleMs}) must be longer than staleAfterMs (${staleAfterMs})`);

  const fence = () => {
    open = false;
    generation++;
  };

  const keyIn = (epoch: number, key: string) => (epoch === 1 || !key.startsWith(namespace) ? key : `${namespace}e${epoch}:${key.slice(namespace.length)}`);

  /**
   * Under a PostgreSQL lock: the latest epoch if it belongs to `identity`; else
   * a new epoch for `identity` if this instance was on the latest one (its Redis
   * changed under it) or never had one; else null: another instance already
   * moved to another Redis than ours, and this one stays fenced until it reaches
   * the same (Sentinel and Cluster clients follow promotions), so two instances
   * on two Redis never take turns starting epochs.
   */
  async function agree(identity: string, previous: number | null): Promise<{ epoch: number; identity: string; started: boolean; waitMs: number } | null> {
    return db.$transaction(async (tx) => {
      // Transaction-scoped: safe behind PgBouncer in transaction mode.
      await tx.$queryRawUnsafe(`SELECT 1 AS "locked" FROM pg_advisory_xact_lock(hashtext($1))`, table);
      // waitMs: what is left of the settle time of the latest epoch (none for the very first), by PostgreSQL's clock.
      const [latest] = await tx.$queryRawUnsafe<{ epoch: number; identity: string; waitMs: number }[]>(
        `SELECT "epoch", "identity",
                CASE WHEN EXISTS (SELECT 1 FROM "${table}" o WHERE o."epoch" < l."epoch")
                     THEN GREATEST(0, $1::float8 - EXTRACT(EPOCH FROM (now() - l."startedAt")) * 1000)::float8 ELSE 0 END AS "waitMs"
           FROM "${table}" l ORDER BY "epoch" DESC LIMIT 1`,
        settleMs,
      );
      if (latest?.identity === identity) return { epoch: latest.epoch, identity, started: false, waitMs: Number(latest.waitMs) };
      if (latest && previous !== null && previous !== latest.epoch) return null;
      const [created] = await tx.$queryRawUnsafe<{ epoch: number }[]>(`INSERT INTO "${table}" ("identity") VALUES ($1) RETURNING "epoch"`, identity);
      return { epoch: created!.epoch, identity, started: true, waitMs: latest ? settleMs : 0 };
    });
  }

  async function checkOnce(): Promise<void> {
    const before = generation;
    const began = performance.now();
    const identity = await identify();
    // A reconnection while asking: the answer may come from the server before it.
    if (generation !== before) return checkOnce();
    // Same Redis as the epoch in use: nothing to do (PostgreSQL is asked only when it changed,
    // or after a reconnection). An epoch another instance started for another Redis than this
    // one's does not concern this instance's reads until its own connection moves there.
    if (open && adopted?.identity === identity) {
      confirmedAt = began;
      return;
    }
    fence();
    const mine = generation;
    const agreed = await agree(identity, adopted?.epoch ?? null);
    if (!agreed) throw new Error(`cache epoch: this instance's Redis (${identity}) is not the one of the latest epoch; staying fenced`);
    adopted = { epoch: agreed.epoch, identity };
    let confirmed = began;
    if (agreed.waitMs > 0) {
      // A new epoch opens once every instance still serving the one before has stopped (settleMs);
      // then the identity is confirmed again, since Redis may have changed during the wait.
      await new Promise((resolve) => setTimeout(resolve, agreed.waitMs));
      confirmed = performance.now();
      if ((await identify()) !== identity) return checkOnce();
    }
    // Fenced again meanwhile (a reconnection): the identity read above may be stale.
    if (generation !== mine) return checkOnce();
    confirmedAt = confirmed;
    open = true;
    options.onEpoch?.(agreed.epoch, agreed.started);
  }

  function check(): Promise<void> {
    checking ??= checkOnce().finally(() => {
      checking = null;
    });
    return checking;
  }
  const checkQuietly = () => void check().catch(onError);

  connection.on('close', fence);
  connection.on('-node', fence);
  connection.on('ready', checkQuietly);
  connection.on('+node', checkQuietly);
  const timer = setInterval(checkQuietly, checkIntervalMs);
  timer.unref();
  checkQuietly();

  /** Runs `call` with the keys of the current epoch; `whileFenced` answers if there is none. */
  function inEpoch<T>(whileFenced: () => T, call: (key: (k: string) => string) => Promise<T>): Promise<T> {
    if (open && performance.now() - confirmedAt > staleAfterMs) {
      // No successful check for too long: Redis may have changed unseen (see staleAfterMs).
      fence();
      checkQuietly();
    }
    if (!open || !adopted) return Promise.resolve().then(whileFenced);
    const epoch = adopted.epoch;
    return call((k) => keyIn(epoch, k));
  }

  return {
    // Fenced: every key misses, and the loader reads PostgreSQL.
    read: (keys) =>
      inEpoch(
        () => {
          options.stats.fencedReads++;
          return keys.map(() => undefined);
        },
        async (key) => {
          const epochKeys = keys.map(key);
          const before = generation;
          const values = await store.read(epochKeys);
          // Fenced while the read was on its way (a reconnection: the client may have sent it again,
          // to a Redis restarted from an older snapshot at the same address): not trusted.
          if (generation !== before) {
            options.stats.fencedReads++;
            return keys.map(() => undefined);
          }
          if (!options.stillServed || options.stillServed(epochKeys)) return values;
          // Served by a node the identity check has not seen (a promotion followed by MOVED): not trusted.
          fence();
          checkQuietly();
          options.stats.fencedReads++;
          return keys.map(() => undefined);
        },
      ),
    // Fenced: fills and repairs are refused as if a writer held the key (the reconciler retries).
    write: (entries) =>
      inEpoch(
        () => entries.map((): WriteOutcome => 'leased'),
        (key) => store.write(entries.map((e) => ({ ...e, key: key(e.key) }))),
      ),
    lease: (keys, token, leaseMs, ttlSeconds) =>
      inEpoch(
        () => {
          throw fenced();
        },
        (key) => store.lease(keys.map(key), token, leaseMs, ttlSeconds),
      ),
    release: (token, items) =>
      inEpoch(
        () => {
          throw fenced();
        },
        (key) =>
          store.release(
            token,
            items.map((item) => ({ ...item, key: key(item.key), ...(item.write && { write: { ...item.write, key: key(item.write.key) } }) })),
          ),
      ),
    remove: (keys) =>
      inEpoch(
        () => {
          throw fenced();
        },
        (key) => store.remove(keys.map(key)),
      ),
    // Fenced: every caller reads the database (nothing may be waited for in a cache being checked).
    // The claim reads the entries too: trusted only as a read is (see `read`), else the database.
    ...(store.claimFills && {
      claimFills: (keys, leaseMs) => {
        const toDatabase = () => keys.map((): FillClaim => ({ won: true }));
        return inEpoch(toDatabase, async (key) => {
          const epochKeys = keys.map(key);
          const before = generation;
          const claims = await store.claimFills!(epochKeys, leaseMs);
          if (generation !== before || (options.stillServed && !options.stillServed(epochKeys))) return toDatabase();
          return claims;
        });
      },
    }),
    ping: () => store.ping(),
    async close() {
      clearInterval(timer);
      await store.close();
    },
    epoch: () => (open && adopted ? adopted.epoch : null),
    check,
  };
}
