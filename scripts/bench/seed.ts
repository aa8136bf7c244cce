/**
 * The benchmark's data set, bulk-loaded with COPY FROM STDIN (pg-copy-streams)
 * into the run's own database: products, users each with a cart of 20 items,
 * an admin, and a few users whose carts hold 1, 10, 100 and 1,000 items for
 * the scaling measurement. Every `version` is 1. All users share one Argon2
 * hash (of `BENCH_PASSWORD`), computed once.
 *
 * Ids are given explicitly (products 1..P; the admin is user 1, customers
 * 2..U+1, then the scaling users), and the sequences are moved past them.
 * Every user has one session (src/auth/sessions.ts) whose id is the user's
 * id, lasting a day: the tokens `sign` makes name it.
 *
 * The "working set" is the first W products: the reads of the load aim there,
 * and the carts of the active users (the first A customers) hold products of
 * it. The hot subset (the first H products, the first few active users) is
 * what the mutations write.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { hashPassword } from '../../src/auth/passwords.js';
import { createRandom, type Random } from '../consistency/random.js';
import { now } from '../consistency/time.js';

export const BENCH_PASSWORD = 'bench-password';
export const ADMIN_EMAIL = 'bench-admin@bench.test';
/** Items in every regular cart. */
export const CART_ITEMS = 20;

export interface SeedOptions {
  pool: pg.Pool;
  products: number;
  /** Customers (besides the admin and the scaling users); each has a cart of 20 items. */
  users: number;
  /** Sizes of the scaling carts; those above the number of products are left out. */
  scalingSizes: readonly number[];
  /** Products the load reads. @default min(10000, products) */
  workingSetProducts?: number;
  /** Products the mutations write. @default min(20, working set / 5) */
  hotProducts?: number;
  /** Customers the load signs in as. @default min(1000, users) */
  activeUsers?: number;
  /** Customers whose carts the mutations write. @default min(20, active / 5) */
  hotUsers?: number;
  seed?: number;
  /** Signs a bearer token for a user id, naming its seeded session (whose id is the user's id), with the API's JWT secret. */
  sign: (userId: number) => Promise<string>;
  /** Show a progress bar (only on a TTY). @default false */
  progress?: boolean;
  log?: (line: string) => void;
}

export interface BenchUser {
  id: number;
  token: string;
  /** Product ids in the cart, in the order added. */
  cart: number[];
}

export interface SeedSummary {
  products: number;
  users: number;
  carts: number;
  cartItems: number;
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

export interface Dataset {
  products: number;
  users: number;
  workingSetProducts: number;
  hotProducts: number[];
  admin: { id: number; email: string; token: string };
  activeUsers: BenchUser[];
  hotUsers: BenchUser[];
  scalingUsers: { size: number; user: BenchUser }[];
  summary: SeedSummary;
}

/** How long the seeded sessions (and the tokens `sign` makes) last: a day, in ms. */
export const SESSION_MS = 24 * 3600 * 1000;

/** Rows per chunk written to the COPY stream. */
const CHUNK = 5000;
const EPOCH = Date.parse('2026-01-01T00:00:00.000Z');

/** TIMESTAMP(3) text (the columns hold UTC, Prisma's convention). */
const timestamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** `count` distinct integers from [lo, hi] (count <= hi - lo + 1). */
function distinct(random: Random, count: number, lo: number, hi: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(random.int(lo, hi));
  return [...chosen];
}

export async function seedDataset(options: SeedOptions): Promise<Dataset> {
  const P = options.products;
  const U = options.users;
  if (P < CART_ITEMS) throw new Error(`at least ${CART_ITEMS} products are needed, got ${P}`);
  if (U < 1) throw new Error(`at least 1 user is needed, got ${U}`);
  const W = Math.min(P, Math.max(CART_ITEMS, options.workingSetProducts ?? Math.min(10_000, P)));
  const H = Math.min(W, Math.max(1, options.hotProducts ?? Math.min(20, Math.ceil(W / 5))));
  const A = Math.min(U, Math.max(1, options.activeUsers ?? Math.min(1000, U)));
  const HU = Math.min(A, Math.max(1, options.hotUsers ?? Math.min(20, Math.ceil(A / 5))));
  const sizes = [...new Set(options.scalingSizes)].filter((s) => s >= 1 && s <= P).sort((a, b) => a - b);
  const random = createRandom(options.seed ?? 1);
  const log = options.log ?? (() => {});

  const t0 = now();
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const adminId = 1;
  const customerId = (i: number) => 2 + i; // i in [0, U)
  const scalingUserId = (i: number) => 2 + U + i;
  const userCount = 1 + U + sizes.length;
  const itemCount = U * CART_ITEMS + sizes.reduce((a, b) => a + b, 0);
  const total = P + 2 * userCount + (U + sizes.length) + itemCount;

  // Carts: active customers' from the working set (a quarter of the items hot), others' from the whole catalog.
  const carts: number[][] = [];
  for (let i = 0; i < U; i++) {
    if (i < A) {
      const hot = Math.min(H, Math.round(CART_ITEMS / 4));
      const fromHot = distinct(random, hot, 1, H);
      const rest = new Set(fromHot);
      while (rest.size < CART_ITEMS) rest.add(random.int(1, W));
      carts.push([...rest]);
    } else {
      carts.push(distinct(random, CART_ITEMS, 1, P));
    }
  }
  // Scaling carts: products 1..size, all in the working set when it is large enough.
  const scalingCarts = sizes.map((size) => Array.from({ length: size }, (_, j) => j + 1));

  const tty = options.progress === true && process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'seeding {phase} [{bar}] {percentage}% | {value}/{total} rows | {duration}s', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(total, 0, { phase: 'products'.padEnd(10) });
  let done = 0;
  const advance = (rows: number, phase: string) => {
    done += rows;
    bar?.update(done, { phase: phase.padEnd(10) });
  };

  const client = await options.pool.connect();
  try {
    // A bulk load before any API runs: nothing is cached yet, so the change-capture trigger
    // (packages/prisma-write-through/sql/change-capture.sql) must not record every cart whose
    // items are copied in (the reconciler would then fill the cache before the measurements).
    await client.query(`SET prisma_write_through.tx = 'on'`);
    const copy = async (phase: string, sql: string, count: number, line: (i: number) => string) => {
      function* chunks() {
        for (let start = 0; start < count; start += CHUNK) {
          let text = '';
          const end = Math.min(count, start + CHUNK);
          for (let i = start; i < end; i++) text += line(i);
          yield text;
          advance(end - start, phase);
        }
      }
      const started = now();
      // One chunk ahead at most, so the bar follows what PostgreSQL has taken.
      await pipeline(Readable.from(chunks(), { highWaterMark: 1 }), client.query(copyFrom(sql)));
      if (!tty) log(`  ${phase}: ${count.toLocaleString('en-US')} rows in ${((now() - started) / 1000).toFixed(1)} s`);
    };

    const ts = timestamp(EPOCH);
    await copy(
      'products',
      'COPY "Product" ("id", "sku", "name", "description", "priceCents", "stock", "version", "createdAt", "updatedAt") FROM STDIN',
      P,
      (i) => {
        const id = i + 1;
        const price = 100 + ((id * 7919) % 99_900);
        return `${id}\tBENCH-${id}\tProduct ${id}\tA benchmark product, number ${id}: sturdy, well made, and for everyday use.\t${price}\t1000000\t1\t${ts}\t${ts}\n`;
      },
    );
    await copy('users', 'COPY "User" ("id", "email", "name", "role", "passwordHash", "version", "createdAt", "updatedAt") FROM STDIN', userCount, (i) => {
      if (i === 0) return `${adminId}\t${ADMIN_EMAIL}\tBench Admin\tADMIN\t${passwordHash}\t1\t${ts}\t${ts}\n`;
      const id = i + 1; // customers 2..U+1, then the scaling users
      return `${id}\tbench-user-${id}@bench.test\tBench User ${id}\tCUSTOMER\t${passwordHash}\t1\t${ts}\t${ts}\n`;
    });
    // One session per user, with the user's id (the tokens name it), lasting a day from now.
    const expires = timestamp(Date.now() + SESSION_MS);
    await copy('sessions', 'COPY "Session" ("id", "userId", "createdAt", "expiresAt") FROM STDIN', userCount, (i) => `${i + 1}\t${i + 1}\t${ts}\t${expires}\n`);
    await copy('carts', 'COPY "Cart" ("userId", "version", "updatedAt") FROM STDIN', U + sizes.length, (i) => `${i + 2}\t1\t${ts}\n`);
    // Items: flattened over carts; added one millisecond apart so their order is stable.
    const owners: { userId: number; products: number[] }[] = [
      ...carts.map((products, i) => ({ userId: customerId(i), products })),
      ...scalingCarts.map((products, i) => ({ userId: scalingUserId(i), products })),
    ];
    const offsets: number[] = [];
    let offset = 0;
    for (const owner of owners) {
      offsets.push(offset);
      offset += owner.products.length;
    }
    let ownerIndex = 0;
    await copy('cart items', 'COPY "CartItem" ("cartId", "productId", "quantity", "addedAt") FROM STDIN', itemCount, (i) => {
      while (ownerIndex + 1 < owners.length && offsets[ownerIndex + 1]! <= i) ownerIndex++;
      const owner = owners[ownerIndex]!;
      const j = i - offsets[ownerIndex]!;
      return `${owner.userId}\t${owner.products[j]}\t${1 + ((i * 31) % 3)}\t${timestamp(EPOCH + j)}\n`;
    });
    bar?.update(done, { phase: 'analyzing'.padEnd(10) });
    await client.query(`SELECT setval(pg_get_serial_sequence('"Product"', 'id'), $1)`, [P]);
    await client.query(`SELECT setval(pg_get_serial_sequence('"User"', 'id'), $1)`, [userCount]);
    await client.query(`SELECT setval(pg_get_serial_sequence('"Session"', 'id'), $1)`, [userCount]);
    await client.query('ANALYZE "Product", "User", "Session", "Cart", "CartItem"');
  } finally {
    await client.query('RESET prisma_write_through.tx').catch(() => {});
    client.release();
    bar?.stop();
  }
  const ms = now() - t0;
  const summary: SeedSummary = {
    products: P,
    users: userCount,
    carts: U + sizes.length,
    cartItems: itemCount,
    rows: total,
    ms: Math.round(ms),
    rowsPerSecond: Math.round(total / (ms / 1000)),
  };
  log(
    `seeded ${P.toLocaleString('en-US')} products, ${userCount.toLocaleString('en-US')} users, ${summary.carts.toLocaleString('en-US')} carts with ` +
      `${itemCount.toLocaleString('en-US')} items in ${(ms / 1000).toFixed(1)} s (${summary.rowsPerSecond.toLocaleString('en-US')} rows/s)`,
  );

  const user = async (id: number, cart: number[]): Promise<BenchUser> => ({ id, token: await options.sign(id), cart });
  const activeUsers = await Promise.all(carts.slice(0, A).map((cart, i) => user(customerId(i), cart)));
  return {
    products: P,
    users: U,
    workingSetProducts: W,
    hotProducts: Array.from({ length: H }, (_, i) => i + 1),
    admin: { id: adminId, email: ADMIN_EMAIL, token: await options.sign(adminId) },
    activeUsers,
    hotUsers: activeUsers.slice(0, HU),
    scalingUsers: await Promise.all(sizes.map(async (size, i) => ({ size, user: await user(scalingUserId(i), scalingCarts[i]!) }))),
    summary,
  };
}
