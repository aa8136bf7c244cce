/**
 * The transactional outbox: which entities a committed transaction changed,
 * written in that same transaction, removed once the cache has the change.
 * Whatever stays behind (the process died after COMMIT, Redis was down) is
 * replayed by the reconciler on any instance.
 *
 * Plain SQL on one table, so the core needs no generated model: the table is
 * `CacheOutbox (id BIGSERIAL, entries JSONB, captured BOOLEAN NOT NULL
 * DEFAULT false, createdAt TIMESTAMPTZ)`, created by the application's
 * migrations. `captured` rows come from the change-capture trigger
 * (sql/change-capture.sql): writes that did not go through the extension,
 * which nobody else will publish, so they are replayed at once.
 */
import type { EntityId } from './types.js';

/** `[entityName, id]` pairs. */
export type OutboxEntries = [string, EntityId][];

/** What the outbox needs of a database client (a Prisma Client or transaction client). */
export interface SqlClient {
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
}

export interface OutboxOptions {
  /** Table name. @default "CacheOutbox" */
  table?: string;
  /** Acknowledged rows are deleted together, at most this often, in ms. @default 100 */
  flushIntervalMs?: number;
}

export interface Outbox {
  /** Inserts a row in the caller's transaction; returns its id. */
  record(tx: SqlClient, entries: OutboxEntries): Promise<string>;
  /** The cache has this row's change: delete it with the next batch. */
  acknowledge(id: string): void;
  /** Deletes acknowledged rows now. */
  flush(): Promise<void>;
  /**
   * Rows recorded by change capture (`captured`, any age) and rows older than
   * `olderThanMs`, oldest first, at most `limit`, locked for this transaction
   * (`FOR UPDATE SKIP LOCKED`): another instance's claim skips them, so each
   * row is replayed by one reconciler. On a table without the `captured`
   * column (a database whose migrations are not applied yet), the first claim
   * fails and later ones claim by age only.
   */
  claim(tx: SqlClient, olderThanMs: number, limit: number): Promise<{ id: string; entries: OutboxEntries }[]>;
  delete(db: SqlClient, ids: string[]): Promise<void>;
  /** Rows waiting and the age of the oldest, in ms (for metrics and tests). */
  backlog(db: SqlClient): Promise<{ rows: number; oldestAgeMs: number }>;
  close(): Promise<void>;
}

/**
 * The outbox over `db` (a Prisma Client without the extension). Throws a
 * `TypeError` when `options.table` is not a plain SQL identifier. `onError`
 * is told when deleting acknowledged rows fails (not fatal: the reconciler
 * replays them, idempotently).
 */
export function createOutbox(db: SqlClient, options: OutboxOptions = {}, onError: (error: unknown) => void = () => {}): Outbox {
  const table = options.table ?? 'CacheOutbox';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) throw new TypeError(`outbox table must be a plain SQL identifier, got ${JSON.stringify(table)}`);
  const t = `"${table}"`;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  let acknowledged: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  /** Cleared when the table turns out to predate change capture (no `captured` column). */
  let capturedColumn = true;

  const remove = async (client: SqlClient, ids: string[]) => {
    if (ids.length > 0) await client.$executeRawUnsafe(`DELETE FROM ${t} WHERE "id" = ANY($1::bigint[])`, ids);
  };

  const outbox: Outbox = {
    async record(tx, entries) {
      const rows = await tx.$queryRawUnsafe<{ id: bigint }[]>(`INSERT INTO ${t} ("entries") VALUES ($1::jsonb) RETURNING "id"`, JSON.stringify(entries));
      return String(rows[0]!.id);
    },

    acknowledge(id) {
      acknowledged.push(id);
      // Deleting in batches keeps the write path at one extra INSERT per transaction.
      timer ??= setTimeout(() => {
        timer = undefined;
        void outbox.flush();
      }, flushIntervalMs).unref();
    },

    flush() {
      const ids = acknowledged;
      acknowledged = [];
      flushing = flushing
        .then(() => remove(db, ids))
        .catch((error: unknown) => {
          // Not fatal: the reconciler will replay these rows, which is idempotent.
          onError(error);
        });
      return flushing;
    },

    async claim(tx, olderThanMs, limit) {
      const rows = await tx
        .$queryRawUnsafe<{ id: bigint; entries: OutboxEntries }[]>(
          `SELECT "id", "entries" FROM ${t}
            WHERE ${capturedColumn ? '"captured" OR ' : ''}"createdAt" < now() - ($1::int * interval '1 millisecond')
            ORDER BY "id" LIMIT $2::int FOR UPDATE SKIP LOCKED`,
          olderThanMs,
          limit,
        )
        .catch((error: unknown) => {
          if (capturedColumn && /column "captured" does not exist/.test(String((error as Error)?.message ?? error))) capturedColumn = false;
          throw error;
        });
      return rows.map((row) => ({ id: String(row.id), entries: row.entries }));
    },

    delete: remove,

    async backlog(client) {
      const [row] = await client.$queryRawUnsafe<{ rows: bigint; oldest: Date | null }[]>(`SELECT count(*) AS "rows", min("createdAt") AS "oldest" FROM ${t}`);
      return { rows: Number(row?.rows ?? 0), oldestAgeMs: row?.oldest ? Math.max(0, Date.now() - row.oldest.getTime()) : 0 };
    },

    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await outbox.flush();
    },
  };
  return outbox;
}
