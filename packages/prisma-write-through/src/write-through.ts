import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { CacheUnavailableError, TransactionConflictError } from './errors.js';
import { transientReason } from './transient.js';
import { createEntries, type CacheSettings } from './entries.js';
import type { Outbox } from './outbox.js';
import { WRITE_OPERATIONS, createChangeSet, createWriteTracker, delegateOf, type Change, type ChangeSet } from './tracking.js';
import { resolveSchema } from './schema.js';
import type { CacheRelease, CacheWrite, WriteOutcome } from './types.js';

/**
 * The write-through step, in one place: a Prisma Client extension.
 *
 * Every write on a cached model runs inside a unit of work (an interactive
 * transaction; a write outside one gets its own). The unit records which
 * entities change and increments their versions (tracking.ts). Then, still
 * inside the transaction, just before COMMIT:
 *   1. it reads the changed entities back, exactly as they will commit (an
 *      entity that is one row needs no read: its write returned it whole);
 *   2. it records their keys in the outbox table, in the same transaction, and
 *      at the same time takes a lease on their cache keys, so no read can fill
 *      an older value while the write is in flight (policy `fail`: no lease, no commit).
 * After COMMIT, and only then, it releases the leases with the new values, in
 * one pipelined round trip, and marks its outbox row done. A rollback releases
 * the leases without values. A crash leaves leases that expire, and an outbox
 * row that the reconciler replays.
 */

/** What to do when the cache cannot take part in a write. */
export type WritePolicy = 'fail' | 'repair';

/** Options of `withWriteThrough`. */
export interface WriteThroughTestingOptions extends CacheSettings {
  /**
   * `fail`: a write whose leases cannot be taken is rolled back with
   * `CacheUnavailableError` (no stale read is ever possible). `repair`: it
   * commits anyway and the reconciler repairs the cache from the outbox once
   * Redis answers again (until then, readers that still reach Redis may see
   * the old value). @default "fail"
   */
  writePolicy?: WritePolicy;
  /** How long a lease lives if its writer never comes back, in ms. @default 5000 */
  leaseMs?: number;
  /**
   * How long a writer keeps retrying a failed cache write after COMMIT before
   * it answers anyway (leaving the repair to the outbox), in ms. Covers a Redis
   * restart that this writer's connection has not yet noticed. @default 1000
   */
  publishRetryMs?: number;
  /**
   * `values`: publish the committed entities (write-through). `invalidate`:
   * only delete their keys after COMMIT (cache-aside, for the benchmark's
   * baseline; with leases and the outbox off, it has the races they close).
   * @default "values"
   */
  publish?: 'values' | 'invalidate';
  /** The transactional outbox; `null` turns it off (tests only). */
  outbox: Outbox | null;
  /**
   * Test-only switches that turn a remedy off, to prove what breaks without it.
   * `publishAfterCommit: false` publishes just before COMMIT instead (the
   * entries read back in the transaction), as a cache written from inside the
   * transaction would: a COMMIT that then fails leaves what never committed.
   */
  remedies?: { leases?: boolean; tombstones?: boolean; trackBulkWrites?: boolean; publishAfterCommit?: boolean };
  /** Test-only pause points. */
  hooks?: {
    /** After COMMIT, before the cache write. Throwing here skips the cache write, as a crash would. */
    afterCommit?: (keys: string[]) => Promise<void> | void;
  };
  /** Called when a cache write after commit fails or a lease cannot be taken. */
  onWriteError?: (error: unknown, keys: string[]) => void;
  /**
   * How many more times an interactive transaction is run after it failed for
   * a transient reason (deadlock, serialization failure, lock, statement or
   * transaction timeout; see transient.ts), before it fails with
   * `TransactionConflictError`. Safe: nothing reaches the cache before COMMIT.
   * The transaction's function must therefore be safe to run again: it may
   * only talk to the database through its `tx`. 0 turns retries off. @default 3
   */
  transactionRetries?: number;
  /**
   * Wait before the first retry, in ms; doubled for each further retry, with
   * full jitter (a random wait between 0 and that bound), so that the
   * transactions that collided do not collide again. @default 20
   */
  retryBackoffMs?: number;
}

/**
 * One entity a committed transaction changed: `row` as it committed (the
 * entity exactly as its `load` reads it), `null` when it no longer exists,
 * `undefined` when the write path did not read it (`publish: "invalidate"`).
 */
export type CommittedChange = Readonly<Change>;

/** Told, right after COMMIT, every entity that transaction changed. Must not throw. */
export type CommitListener = (changes: readonly CommittedChange[]) => void;

const commitListeners = new AsyncLocalStorage<CommitListener>();

/**
 * Runs `fn` so that every write-through transaction that commits inside it
 * (in its async context) calls `listener` with the entities it changed, as
 * they committed, right after COMMIT and before the cache write. This is how
 * per-request memos (DataLoaders, a memoized viewer) stay exactly what
 * committed after a write in the same request, from the write path's own
 * list of changes, cascades and aggregates included. Returns what `fn` returns
 * (a thenable, such as a lazy Prisma query, as a promise started in that context).
 */
export function withCommitListener<T>(listener: CommitListener, fn: () => T): T {
  return commitListeners.run(listener, () => {
    const result = fn();
    // A Prisma query is lazy (it starts when awaited): start it here, in the listener's context,
    // not where the caller awaits it.
    const thenable = typeof (result as { then?: unknown } | null)?.then === 'function';
    return (thenable ? Promise.resolve(result) : result) as T;
  });
}

/** One transaction's journey through the cache. */
interface UnitOfWork {
  /** Undefined inside a batch `$transaction([...])`, which has no transaction client to work with. */
  changes?: ChangeSet;
  token: string;
  /** Filled just before COMMIT. */
  changed: Change[];
  keys: string[];
  leased: boolean;
  outboxId?: string;
}

type Args = Record<string, any>;

/** A unit of work before its transaction starts: a token of its own, nothing changed yet. */
const newUnit = (): UnitOfWork => ({ token: randomUUID(), changed: [], keys: [], leased: false });

/**
 * Wraps a Prisma Client so that every write on a cached model goes through
 * the cache after it commits. The returned client has the same type.
 */
export function withWriteThrough<Client extends { $extends: (...a: any[]) => any }>(base: Client, options: WriteThroughTestingOptions): Client {
  const entries = createEntries(options);
  const leaseMs = options.leaseMs ?? 5000;
  const publishRetryMs = options.publishRetryMs ?? 1000;
  const invalidate = options.publish === 'invalidate';
  const writePolicy = options.writePolicy ?? 'fail';
  if (writePolicy !== 'fail' && writePolicy !== 'repair') throw new TypeError(`writePolicy must be "fail" or "repair", got ${JSON.stringify(writePolicy)}`);
  const useLeases = options.remedies?.leases ?? true;
  const useTombstones = options.remedies?.tombstones ?? true;
  const publishAfterCommit = options.remedies?.publishAfterCommit ?? true;
  const { store, stats, outbox, hooks } = options;
  const onWriteError = options.onWriteError ?? (() => {});
  const transactionRetries = options.transactionRetries ?? 3;
  const retryBackoffMs = options.retryBackoffMs ?? 20;
  if (!Number.isInteger(transactionRetries) || transactionRetries < 0)
    throw new TypeError(`transactionRetries must be an integer >= 0, got ${transactionRetries}`);
  const units = new AsyncLocalStorage<UnitOfWork>();

  if (!options.schema?.models) throw new TypeError('withWriteThrough: `schema` must be the entity metadata emitted by the prisma-write-through generator');
  const tracker = createWriteTracker({
    entities: options.entities,
    schema: resolveSchema(options.entities, options.schema),
    trackBulkWrites: options.remedies?.trackBulkWrites,
  });

  /** The cache entry a change becomes: the row, or a tombstone (or a removal, with tombstones off). */
  function entryOf(change: Change): CacheWrite | null {
    if (change.row) return entries.value(change.entity, change.id, change.row);
    return useTombstones ? entries.tombstone(change.entity, change.id) : null;
  }

  /** Inside the transaction, after the caller's work: the outbox row and the leases, at the same time. */
  async function beforeCommit(unit: UnitOfWork, tx: any) {
    unit.changed = await tracker.collect(unit.changes!, { readBack: !invalidate });
    if (unit.changed.length === 0) return;
    unit.keys = unit.changed.map((c) => entries.keyOf(c.entity, c.id));
    const [recorded, leased] = await Promise.allSettled([
      outbox?.record(
        tx,
        unit.changed.map((c) => [c.entity, c.id]),
      ),
      lease(unit),
    ]);
    if (recorded.status === 'rejected') throw recorded.reason;
    unit.outboxId = recorded.value;
    if (leased.status === 'rejected') throw leased.reason;
  }

  async function lease(unit: UnitOfWork) {
    if (!useLeases) return;
    // Marked before the call: a lease that timed out may still have been taken, and must be released.
    unit.leased = true;
    try {
      await store.lease(unit.keys, unit.token, leaseMs, entries.ttlSeconds);
    } catch (error) {
      stats.leaseFailures++;
      onWriteError(error, unit.keys);
      if (writePolicy === 'fail') throw new CacheUnavailableError(undefined, { cause: error });
      // repair: commit anyway; the outbox row repairs the cache. `leased` stays true: a lease
      // whose answer timed out may still have been taken, and publishing through release clears it.
    }
  }

  /**
   * After COMMIT: one round trip that publishes the committed entries and
   * releases the leases. On failure it retries (release is idempotent) for up
   * to `publishRetryMs`: after a Redis restart, another instance may already
   * have filled the value from before this commit, and answering before it is
   * replaced would let a client read older than what it was told.
   */
  async function publish(unit: UnitOfWork) {
    if (unit.changed.length === 0) return;
    await hooks?.afterCommit?.(unit.keys);
    const writes = unit.changed.map(entryOf);
    const started = performance.now();
    const deadline = Date.now() + publishRetryMs;
    while (!(await publishOnce(unit, writes))) {
      if (Date.now() >= deadline) {
        // The commit stands. The leases expire by themselves; the outbox row stays for the reconciler.
        stats.writeFailures++;
        options.observer?.publish?.((performance.now() - started) / 1000, false);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    options.observer?.publish?.((performance.now() - started) / 1000, true);
  }

  async function publishOnce(unit: UnitOfWork, entries: (CacheWrite | null)[]): Promise<boolean> {
    try {
      if (invalidate) {
        await store.remove(unit.keys);
        return true;
      }
      let outcomes: WriteOutcome[];
      if (unit.leased) {
        outcomes = await store.release(
          unit.token,
          unit.keys.map((key, i): CacheRelease => ({ key, write: entries[i] ?? undefined })),
        );
      } else {
        // Leases off (tests only): a value refused because someone else holds a lease
        // is not known to have arrived, so the outbox row stays for the reconciler.
        outcomes = await store.write(entries.filter((e): e is CacheWrite => e !== null));
      }
      const removals = unit.keys.filter((_, i) => entries[i] === null);
      if (removals.length > 0) await store.remove(removals);
      if (outbox && unit.outboxId && (unit.leased || !outcomes.includes('leased'))) outbox.acknowledge(unit.outboxId);
      return true;
    } catch (error) {
      onWriteError(error, unit.keys);
      return false;
    }
  }

  /** After a rollback: leave the leases without values (best effort; they expire anyway). */
  async function abandon(unit: UnitOfWork) {
    if (!unit.leased) return;
    await store
      .release(
        unit.token,
        unit.keys.map((key) => ({ key })),
      )
      .catch((error: unknown) => onWriteError(error, unit.keys));
  }

  let client: any;

  /** Every write on any model: cached ones are tracked inside a unit of work. */
  async function onWrite({ model, operation, args, query }: { model: string; operation: string; args: Args; query: (a: Args) => Promise<any> }) {
    tracker.checkNestedWrites(model, args);
    if (!tracker.involves(model)) return query(args);
    const unit = units.getStore();
    // A write outside a transaction gets one of its own, so that its
    // bookkeeping, its outbox row and its leases commit with it.
    if (!unit) return client.$transaction((tx: any) => delegateOf(tx, model)[operation](args));
    if (!unit.changes) {
      throw new Error(
        `write-through: ${model}.${operation} inside a batch $transaction([...]) is not supported; use an interactive $transaction(async (tx) => ...)`,
      );
    }
    return tracker.track(unit.changes, model, operation, args, query);
  }

  // Hooks on the write operations only: reads go straight through, without the extension's cost.
  const hooked = base.$extends({
    name: 'write-through:hooks',
    query: { $allModels: Object.fromEntries([...WRITE_OPERATIONS].map((operation) => [operation, onWrite])) },
  });

  client = hooked.$extends({
    name: 'write-through:transactions',
    client: {
      async $transaction(input: unknown, txOptions?: unknown) {
        const current = units.getStore();
        // Batch transactions: allowed for reads and uncached writes; the hooks refuse cached writes.
        if (typeof input !== 'function') return units.run(newUnit(), () => hooked.$transaction(input, txOptions));
        // Prisma has no nested interactive transactions: join the current one.
        if (current?.changes) return (input as (tx: any) => unknown)(current.changes.tx);

        for (let attempt = 1; ; attempt++) {
          const unit = newUnit();
          const started = performance.now();
          const timed = (committed: boolean) => options.observer?.transaction?.((performance.now() - started) / 1000, committed);
          let result: unknown;
          try {
            result = await hooked.$transaction(
              (tx: any) =>
                units.run(unit, async () => {
                  unit.changes = createChangeSet(tx);
                  const value = await (input as (tx: any) => unknown)(tx);
                  await beforeCommit(unit, tx);
                  if (!publishAfterCommit) await publish(unit);
                  return value;
                }),
              txOptions,
            );
          } catch (error) {
            timed(false);
            await abandon(unit);
            // Rolled back for a transient reason (another transaction, or time): run it again.
            const reason = transientReason(error);
            if (!reason) throw error;
            if (attempt > transactionRetries) {
              stats.transactionConflicts++;
              options.observer?.transactionRetry?.(reason, false);
              throw new TransactionConflictError(reason, attempt, { cause: error });
            }
            stats.transactionRetries++;
            options.observer?.transactionRetry?.(reason, true);
            await new Promise((resolve) => setTimeout(resolve, Math.random() * retryBackoffMs * 2 ** (attempt - 1)));
            continue;
          }
          timed(true);
          // `hooked.$transaction` resolved: COMMIT succeeded. Only now may the cache, and
          // the caller's per-request memos, see the change.
          if (unit.changed.length > 0) notifyCommitted(unit.changed);
          if (publishAfterCommit) await publish(unit);
          return result;
        }
      },
    },
  });

  /** Tells the listener of the caller's context (if any) what committed; a failing listener never fails the write. */
  function notifyCommitted(changed: Change[]) {
    try {
      commitListeners.getStore()?.(changed);
    } catch (error) {
      onWriteError(error, []);
    }
  }

  return client as Client;
}
