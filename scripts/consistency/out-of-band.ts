/**
 * The out-of-band client (`--out-of-band <writes/s>`): writes that bypass the
 * API, as an operator in psql or another service would make them, on one
 * `pg` connection of its own to the run's database, in transactions of its
 * own, on the rows the load reads (the hot set). The change-capture triggers
 * (packages/prisma-write-through/sql/change-capture.sql) raise each root's
 * version and NOTIFY at COMMIT; the API instances' reconcilers publish the
 * change to Redis. The promise under test: a committed change is served by
 * the API within a window of its COMMIT (1 s by default).
 *
 * Each write is one transaction; the version it committed is read back in it
 * (RETURNING, or the cart's row after a change to its items, which the
 * trigger raised and locked) and goes to the observer with the time COMMIT
 * returned. Kinds, at random:
 *
 * - `product-price`: `UPDATE "Product" SET "priceCents"` (the trigger raises the version);
 * - `product-stock`: stock +/-1 (never below 0) with `version = version + 1`
 *   (the writer raises the version itself; the trigger leaves it);
 * - `user-name`: `UPDATE "User" SET name` of a customer;
 * - `cart-item-quantity`, `cart-item-delete`, `cart-item-insert`: a member
 *   row of a customer's cart (the trigger raises the cart's version).
 *
 * No root row is deleted: the load and the "lost acknowledged write" check
 * expect the hot set to stay. A statement that finds nothing to change (the
 * cart item went away meanwhile, stock at 0) is rolled back and counted as a
 * no-op; a failed transaction is counted by its SQLSTATE and not recorded; a
 * COMMIT that fails without an answer is not recorded either (its version is
 * unknown: leaving it out only makes the check more lenient).
 */
import pg from 'pg';
import type { Observer } from './observer.js';
import type { Random } from './random.js';
import type { Fixture } from './setup.js';
import { now, sleep } from './time.js';

export const OUT_OF_BAND_KINDS = ['product-price', 'product-stock', 'user-name', 'cart-item-quantity', 'cart-item-delete', 'cart-item-insert'] as const;
export type OutOfBandKind = (typeof OUT_OF_BAND_KINDS)[number];

const WEIGHTS: Readonly<Record<OutOfBandKind, number>> = {
  'product-price': 3,
  'product-stock': 2,
  'user-name': 3,
  'cart-item-quantity': 2,
  'cart-item-delete': 1,
  'cart-item-insert': 1,
};

export interface OutOfBandOptions {
  /** The run's database. */
  databaseUrl: string;
  fixture: Fixture;
  /** Writes per second, on average (random gaps of 0 to twice the mean). */
  ratePerSecond: number;
  random: Random;
  observer: Observer;
  /** No new write after this returns true (the load is over). */
  stopped: () => boolean;
  signal?: AbortSignal;
}

export interface OutOfBandStats {
  /** Transactions committed with a change (and recorded). */
  committed: number;
  byKind: Record<string, number>;
  /** Transactions that found nothing to change (rolled back). */
  noOps: number;
  /** Failed transactions, by kind and SQLSTATE (or the error's name), e.g. `cart-item-delete 40P01`. */
  failures: Record<string, number>;
  startedAt: number;
  stoppedAt: number;
  /** When the last recorded COMMIT returned; null if none. */
  lastCommittedAt: number | null;
}

/** What one write changed: the entity key and the version its transaction committed; null if nothing matched. */
type Change = { entity: string; version: number } | null;

/** Runs the client until `stopped()`; resolves with what it did. Opens and closes its own connection. */
export async function runOutOfBandClient(options: OutOfBandOptions): Promise<OutOfBandStats> {
  const { fixture, random, observer, signal } = options;
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: 'consistency-out-of-band', statement_timeout: 10_000 });
  client.on('error', () => {}); // a dropped connection fails the next query, which is counted
  await client.connect();
  const stats: OutOfBandStats = { committed: 0, byKind: {}, noOps: 0, failures: {}, startedAt: now(), stoppedAt: now(), lastCommittedAt: null };
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  let counter = 0;
  const meanGapMs = 1000 / options.ratePerSecond;
  const versionOf = (rows: { version: number }[], entity: string): Change => (rows[0] ? { entity, version: rows[0].version } : null);

  async function write(kind: OutOfBandKind): Promise<Change> {
    const product = random.pick(fixture.products);
    const customer = random.pick(fixture.customers);
    switch (kind) {
      case 'product-price': {
        const { rows } = await client.query<{ version: number }>(
          `UPDATE "Product" SET "priceCents" = $2, "updatedAt" = now() WHERE id = $1 RETURNING version`,
          [product.id, random.int(100, 10_000)],
        );
        return versionOf(rows, `Product:${product.id}`);
      }
      case 'product-stock': {
        const { rows } = await client.query<{ version: number }>(
          `UPDATE "Product" SET stock = stock + $2, version = version + 1, "updatedAt" = now() WHERE id = $1 AND stock + $2 >= 0 RETURNING version`,
          [product.id, random.chance(0.5) ? 1 : -1],
        );
        return versionOf(rows, `Product:${product.id}`);
      }
      case 'user-name': {
        const { rows } = await client.query<{ version: number }>(`UPDATE "User" SET name = $2, "updatedAt" = now() WHERE id = $1 RETURNING version`, [
          customer.id,
          `Customer ${customer.id} (SQL #${++counter})`,
        ]);
        return versionOf(rows, `User:${customer.id}`);
      }
      case 'cart-item-quantity':
      case 'cart-item-delete':
      case 'cart-item-insert': {
        const { rows: items } = await client.query<{ productId: number }>(`SELECT "productId" FROM "CartItem" WHERE "cartId" = $1`, [customer.id]);
        const inCart = items.map((i) => i.productId);
        let changed;
        if (kind === 'cart-item-insert') {
          const absent = fixture.products.filter((p) => !inCart.includes(p.id));
          if (absent.length === 0) return null;
          changed = await client.query(`INSERT INTO "CartItem" ("cartId", "productId", quantity) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`, [
            customer.id,
            random.pick(absent).id,
            random.int(1, 3),
          ]);
        } else {
          if (inCart.length === 0) return null;
          const productId = random.pick(inCart);
          changed =
            kind === 'cart-item-delete'
              ? await client.query(`DELETE FROM "CartItem" WHERE "cartId" = $1 AND "productId" = $2 RETURNING 1`, [customer.id, productId])
              : await client.query(`UPDATE "CartItem" SET quantity = $3 WHERE "cartId" = $1 AND "productId" = $2 RETURNING 1`, [
                  customer.id,
                  productId,
                  random.int(1, 5),
                ]);
        }
        if (changed.rowCount === 0) return null;
        // The trigger raised the cart's version and holds its row lock until COMMIT: this is the version committed.
        const { rows } = await client.query<{ version: number }>(`SELECT version FROM "Cart" WHERE "userId" = $1`, [customer.id]);
        return versionOf(rows, `Cart:${customer.id}`);
      }
    }
  }

  try {
    let next = now();
    while (!options.stopped() && !signal?.aborted) {
      next = Math.max(next, now() - 1000) + random.next() * 2 * meanGapMs; // no burst to catch up after a slow write
      await sleep(next - now(), signal);
      if (options.stopped() || signal?.aborted) break;
      const kind = random.weighted(WEIGHTS);
      let change: Change;
      try {
        await client.query('BEGIN');
        change = await write(kind);
        if (!change) {
          await client.query('ROLLBACK');
          stats.noOps++;
          continue;
        }
      } catch (error) {
        bump(stats.failures, `${kind} ${(error as { code?: string }).code ?? (error as Error).name}`);
        await client.query('ROLLBACK').catch(() => {});
        continue;
      }
      const commitSentAt = now();
      try {
        await client.query('COMMIT');
      } catch (error) {
        bump(stats.failures, `${kind} COMMIT ${(error as { code?: string }).code ?? (error as Error).name}`);
        continue;
      }
      const committedAt = now();
      observer.committedOutOfBand(change.entity, change.version, { committedAt, commitSentAt, operation: `sql:${kind}` });
      stats.committed++;
      stats.lastCommittedAt = committedAt;
      bump(stats.byKind, kind);
    }
  } finally {
    stats.stoppedAt = now();
    await client.end().catch(() => {});
  }
  return stats;
}
