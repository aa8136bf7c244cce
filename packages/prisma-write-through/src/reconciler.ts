/**
 * The reconciler: runs on every API instance and replays outbox rows that no
 * writer acknowledged in time (it crashed after COMMIT, or Redis was down). For
 * each entity it re-reads the row and writes it with compare-and-set, so a
 * replay can never overwrite a newer value; an entity that no longer exists
 * gets a tombstone. Rows are claimed with SKIP LOCKED, so instances share the
 * work instead of repeating it.
 *
 * It also publishes the writes that did not go through the extension, which
 * the change-capture trigger records (sql/change-capture.sql): those rows are
 * claimed at once, whatever their age, and `wake()` (called by the change
 * listener on the trigger's NOTIFY, listener.ts) runs a pass right away
 * instead of at the next poll. The poll stays as the fallback.
 */
import { createEntries, type CacheSettings } from './entries.js';
import type { Outbox, SqlClient } from './outbox.js';
import type { CacheWrite, EntityId } from './types.js';

export interface ReconcilerOptions extends CacheSettings {
  /** A Prisma Client WITHOUT the write-through extension. */
  db: SqlClient & { $transaction<T>(fn: (tx: any) => Promise<T>): Promise<T> };
  outbox: Outbox;
  /** Rows younger than this are left to their writer, in ms. @default 2000 */
  replayAfterMs?: number;
  /** Time between passes, in ms. @default 1000 */
  intervalMs?: number;
  /** Rows per pass. @default 500 */
  batchSize?: number;
  /**
   * When a pass leaves rows because a writer holds a lease on their keys (it
   * is publishing, or died and its lease runs out), wait this long, in ms,
   * and wake again, instead of waiting for the next poll; after a failed pass,
   * the first wait before trying again (doubled while passes keep failing, at
   * most `intervalMs`). @default 100
   */
  leasedRetryMs?: number;
  onError?: (error: unknown) => void;
}

export interface Reconciler {
  /** One pass; resolves to the number of outbox rows replayed. */
  runOnce(options?: { replayAfterMs?: number }): Promise<number>;
  /**
   * Asks for a pass now (a NOTIFY of the capture trigger arrived): it runs as
   * soon as the pass in progress, if any, ends (passes never overlap), and
   * runs again while a pass replays a whole batch, and `leasedRetryMs` after a
   * pass that left rows under a writer's lease. Wakes that arrive while one
   * is waiting are folded into it; one that arrives during a pass gets a pass
   * after it. Does nothing after `stop()`. Errors go to `onError`.
   */
  wake(): void;
  /** Starts the poll: a pass every `intervalMs`. */
  start(): void;
  /** Stops the poll and the wakes; resolves when the pass in progress ends. */
  stop(): Promise<void>;
}

/**
 * The reconciler of one instance (see the top of this file). Nothing runs
 * until `start()` (the poll) or `wake()`. A pass that fails (database or
 * store unreachable) is reported to `onError` and tried again soon (see
 * `leasedRetryMs`), with a growing wait while it keeps failing.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { db, outbox, entities, store, stats } = options;
  const entries = createEntries(options);
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const onError = options.onError ?? (() => {});
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  /** A woken pass is queued and has not started yet: further wakes are folded into it. */
  let woken = false;
  /** Rows the last pass left because their keys were leased. */
  let leasedLeft = 0;
  let retry: NodeJS.Timeout | undefined;
  const leasedRetryMs = options.leasedRetryMs ?? 100;

  /** Passes that failed in a row (database or store unreachable). */
  let failures = 0;

  function retrySoon(delayMs: number) {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      wake();
    }, delayMs).unref();
  }

  /** After a pass that left leased rows: another pass soon (once the writer has published, or its lease expired). */
  function retryLeased() {
    failures = 0;
    if (leasedLeft > 0) retrySoon(leasedRetryMs);
  }

  /**
   * After a failed pass: another one after `leasedRetryMs`, doubling while they
   * keep failing, at most `intervalMs` apart. So a change captured while Redis
   * was unreachable is published within about `leasedRetryMs` of Redis answering
   * again, not at the next poll.
   */
  function retryFailed(error: unknown) {
    onError(error);
    failures++;
    retrySoon(Math.min(intervalMs, leasedRetryMs * 2 ** Math.min(failures - 1, 10)));
  }

  function wake() {
    if (stopped || woken) return;
    woken = true;
    running = running
      .then(async () => {
        woken = false;
        // A whole batch replayed: more rows may be waiting.
        while (!stopped && (await runOnce()) >= batchSize);
        retryLeased();
      })
      .catch(retryFailed);
  }

  async function runOnce({ replayAfterMs = options.replayAfterMs ?? 2000 } = {}): Promise<number> {
    return db.$transaction(async (tx) => {
      const rows = await outbox.claim(tx, replayAfterMs, batchSize);
      leasedLeft = 0;
      if (rows.length === 0) return 0;
      const idsByEntity = new Map<string, Set<EntityId>>();
      for (const row of rows) {
        for (const [entity, id] of row.entries) {
          if (!entities[entity]) continue; // an entity no longer configured: nothing to repair
          idsByEntity.set(entity, (idsByEntity.get(entity) ?? new Set()).add(id));
        }
      }
      const writes: CacheWrite[] = [];
      for (const [entity, ids] of idsByEntity) {
        const cfg = entities[entity]!;
        const idField = cfg.idField ?? 'id';
        const found = new Map<EntityId, Record<string, any>>();
        for (const row of (await cfg.load(tx, [...ids])) as Record<string, any>[]) found.set(row[idField], row);
        for (const id of ids) {
          const row = found.get(id);
          writes.push(row ? entries.value(entity, id, row) : entries.tombstone(entity, id));
        }
      }
      const outcomes = await store.write(writes);
      // A key under lease has a writer in flight (or a dead one whose lease will expire): retry it next pass.
      const leased = new Set(writes.filter((_, i) => outcomes[i] === 'leased').map((w) => w.key));
      const done = rows.filter((row) => row.entries.every(([entity, id]) => !entities[entity] || !leased.has(entries.keyOf(entity, id))));
      await outbox.delete(
        tx,
        done.map((row) => row.id),
      );
      stats.repairs += done.length;
      leasedLeft = rows.length - done.length;
      return done.length;
    });
  }

  return {
    runOnce,
    wake,
    start() {
      stopped = false;
      timer ??= setInterval(() => {
        // Passes never overlap on one instance.
        running = running
          .then(() => runOnce())
          .then(retryLeased)
          .catch(retryFailed);
      }, intervalMs).unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (retry) clearTimeout(retry);
      timer = undefined;
      retry = undefined;
      await running;
    },
  };
}
