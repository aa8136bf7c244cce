/**
 * The reconciler: runs on every API instance and replays outbox rows that no
 * writer acknowledged in time (it crashed after COMMIT, or Redis was down). For
 * each entity it re-reads the row and writes it with compare-and-set, so a
 * replay can never overwrite a newer value; an entity that no longer exists
 * gets a tombstone. Rows are claimed with SKIP LOCKED, so instances share the
 * work instead of repeating it.
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
  onError?: (error: unknown) => void;
}

export interface Reconciler {
  /** One pass; resolves to the number of outbox rows replayed. */
  runOnce(options?: { replayAfterMs?: number }): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { db, outbox, entities, store, stats } = options;
  const entries = createEntries(options);
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const onError = options.onError ?? (() => {});
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function runOnce({ replayAfterMs = options.replayAfterMs ?? 2000 } = {}): Promise<number> {
    return db.$transaction(async (tx) => {
      const rows = await outbox.claim(tx, replayAfterMs, batchSize);
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
      await outbox.delete(tx, done.map((row) => row.id));
      stats.repairs += done.length;
      return done.length;
    });
  }

  return {
    runOnce,
    start() {
      timer ??= setInterval(() => {
        // Passes never overlap on one instance.
        running = running.then(() => runOnce()).catch(onError);
      }, intervalMs).unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
