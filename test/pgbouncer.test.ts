/**
 * PostgreSQL through PgBouncer in transaction pooling mode (a PgBouncer of the
 * test's own, 3 server connections per database, test/support/pgbouncer.ts).
 *
 * - Migrations need a session: the migration engine takes a session-level
 *   advisory lock and never releases it but by closing its connection, which
 *   through PgBouncer only closes the client side: the lock stays on a pooled
 *   server connection (shown below), and the next migration over any other
 *   connection times out on it. PgBouncer also cannot create a database that
 *   does not exist. So migrations take DIRECT_DATABASE_URL when it is set.
 * - The API itself (interactive transactions, row locks, the outbox, the
 *   reconciler's FOR UPDATE SKIP LOCKED claim, the cache epoch's
 *   transaction-scoped advisory lock) holds nothing across transactions:
 *   `@prisma/adapter-pg` sends unnamed statements (no `statementNameGenerator`
 *   given; named ones fail through PgBouncer before 1.21, shown below), no SET
 *   outside a transaction, no session advisory lock, no LISTEN: the change
 *   listener (writes that bypass the API) LISTENs on DIRECT_DATABASE_URL, since
 *   through PgBouncer in transaction mode LISTEN succeeds and hears nothing (shown below).
 *   Real traffic from many clients at once, more transactions in flight than
 *   server connections, gives right answers and a cache in sync; outbox rows
 *   left by a writer cut off from Redis are replayed through PgBouncer by
 *   racing reconcilers, each row exactly once.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeListener, createReconciler, type Outbox, type Reconciler } from 'prisma-write-through';
import { ConfigError, loadConfig, migrationDatabaseUrl } from '../src/config.js';
import { createPrismaClient } from '../src/db/client.js';
import { cachedEntities, entityMetadata } from '../src/db/entities.js';
import { applyMigrations } from '../scripts/migrations.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { startTestApi, type TestApi } from './support/api.js';
import { SERVER_URL, adminQuery, createTestDatabase, databaseUrl } from './support/databases.js';
import { findPgBouncer, startPgBouncer, type PgBouncer } from './support/pgbouncer.js';
import { ADD_TO_CART, CHECKOUT, REMOVE_FROM_CART, SET_QUANTITY, UPDATE_PRODUCT, adminUser, codeOf, expectCacheInSync, ok } from './api-helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Server connections PgBouncer may open per database: far fewer than the API's own pool (10). */
const POOL_SIZE = 3;
/** The migration engine's advisory lock key (`SELECT pg_advisory_lock(72707369)`). */
const MIGRATION_LOCK = 72707369;

/**
 * What this file tests is correctness through the pooler, not latency: on a busy machine,
 * patient timeouts; and the reconcilers run only when the test says so.
 */
const PATIENT = { REQUEST_TIMEOUT_MS: '60000', REDIS_COMMAND_TIMEOUT_MS: '2000', RECONCILE_INTERVAL_MS: '600000' };

let bouncer: PgBouncer;
let database: { url: string; drop: () => Promise<void> };
let name: string;
let api: TestApi;
const extraDatabases: string[] = [];

/** Why PgBouncer could not be found, if it could not. */
let missing: Error | undefined;

/** Fails the calling test (never skips it) with how to install pgbouncer, when it is missing. */
function requirePgBouncer(): void {
  if (missing) throw missing;
}

beforeAll(async () => {
  try {
    findPgBouncer();
  } catch (error) {
    missing = error as Error;
    return;
  }
  bouncer = await startPgBouncer({ poolSize: POOL_SIZE });
  database = await createTestDatabase();
  name = new URL(database.url).pathname.slice(1);
  api = await startTestApi({ DATABASE_URL: bouncer.url(name), DIRECT_DATABASE_URL: database.url, ...PATIENT });
});

afterAll(async () => {
  await api?.close();
  await bouncer?.stop();
  await database?.drop();
  for (const extra of extraDatabases) await adminQuery(`DROP DATABASE IF EXISTS "${extra}" WITH (FORCE)`);
});

/** Runs one query on a short direct connection to the `postgres` database of the test server. */
async function direct<T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: SERVER_URL, application_name: 'pgbouncer-test-probe' });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Backends holding the migration engine's advisory lock on a database. */
const migrationLocks = (db: string) =>
  direct<{ pid: number; state: string }>(
    `SELECT a.pid, a.state FROM pg_locks l JOIN pg_database d ON d.oid = l.database JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted AND d.datname = $2`,
    [MIGRATION_LOCK, db],
  );

/** Whether a new direct session could take the migration lock on `db` right now (what the next migration needs). */
async function migrationLockFree(db: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl(db), application_name: 'pgbouncer-test-probe' });
  await client.connect();
  try {
    const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS "free"', [MIGRATION_LOCK])).rows;
    return row.free as boolean;
  } finally {
    await client.end();
  }
}

/** `npm run db:migrate` (scripts/migrate.ts deploy) with these variables; resolves to its exit code and output. */
function migrate(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts', 'deploy'], {
      cwd: ROOT,
      env: { ...process.env, DIRECT_DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('configuration', () => {
  it('DIRECT_DATABASE_URL: validated like DATABASE_URL, refused without it, and what migrations use', () => {
    const base = { DATABASE_URL: 'postgresql://app@pgbouncer:6432/storefront' };
    expect(loadConfig(base).directDatabaseUrl).toBeNull();
    expect(loadConfig({ ...base, DIRECT_DATABASE_URL: 'postgres://app@db:5432/storefront' }).directDatabaseUrl).toBe('postgres://app@db:5432/storefront');
    expect(() => loadConfig({ ...base, DIRECT_DATABASE_URL: 'mysql://x' })).toThrow(/DIRECT_DATABASE_URL must start with postgresql:\/\/ or postgres:\/\//);
    expect(() => loadConfig({ ...base, DIRECT_DATABASE_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ DIRECT_DATABASE_URL: 'postgresql://app@db:5432/storefront' })).toThrow(/DIRECT_DATABASE_URL .*set DATABASE_URL too/);
    expect(migrationDatabaseUrl(base)).toBe(base.DATABASE_URL);
    expect(migrationDatabaseUrl({ ...base, DIRECT_DATABASE_URL: 'postgresql://app@db:5432/storefront' })).toBe('postgresql://app@db:5432/storefront');
    expect(migrationDatabaseUrl({})).toBeNull();
  });
});

describe('migrations', () => {
  it(`pgbouncer is installed (${process.platform === 'linux' ? 'apt-get install -y pgbouncer' : 'brew install pgbouncer'})`, () => {
    requirePgBouncer();
    expect(bouncer.version).toMatch(/^1\.\d+/);
    expect(bouncer.settings).toMatchObject({ pool_mode: 'transaction', default_pool_size: String(POOL_SIZE) });
  });

  it('through PgBouncer, the engine leaves its session advisory lock on a pooled server connection: the next migration would wait on it', async () => {
    requirePgBouncer();
    const db = `sf_test_pgb_${randomBytes(4).toString('hex')}`;
    extraDatabases.push(db);
    await adminQuery(`CREATE DATABASE "${db}"`);
    expect(await migrationLockFree(db)).toBe(true);
    const { applied } = await applyMigrations({ databaseUrl: bouncer.url(db), createDatabase: false });
    expect(applied.length).toBeGreaterThan(0);
    // The migration is over and its client connection closed, but PgBouncer kept the server connection, lock and all.
    const held = await migrationLocks(db);
    expect(held, 'the advisory lock left behind on a PgBouncer server connection').toHaveLength(1);
    expect(held[0]!.state).toBe('idle');
    expect(await migrationLockFree(db), 'a direct migration now could not take the lock (it times out after 10 s)').toBe(false);
  });

  it('`npm run db:migrate` with DIRECT_DATABASE_URL migrates over it (creating the database), and leaves no lock behind', async () => {
    requirePgBouncer();
    const db = `sf_test_pgb_${randomBytes(4).toString('hex')}`;
    extraDatabases.push(db);
    const run = await migrate({ DATABASE_URL: bouncer.url(db), DIRECT_DATABASE_URL: databaseUrl(db) });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('(DIRECT_DATABASE_URL)');
    expect(run.output).toMatch(/Created database/);
    expect(run.output).toMatch(/Applied \d+ migrations?\./);
    expect(await migrationLocks(db)).toEqual([]);
    expect(await migrationLockFree(db)).toBe(true);
    // And the API's own URL, through PgBouncer, sees the migrated schema.
    const client = new pg.Client({ connectionString: bouncer.url(db) });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT count(*)::int AS "n" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL');
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it('without DIRECT_DATABASE_URL, `npm run db:migrate` through PgBouncer cannot create a missing database', async () => {
    requirePgBouncer();
    const db = `sf_test_pgb_${randomBytes(4).toString('hex')}`;
    extraDatabases.push(db);
    const run = await migrate({ DATABASE_URL: bouncer.url(db) });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/does not exist/);
  });
});

describe('prepared statements', () => {
  /** 40 queries at once, half of them in interactive transactions; resolves to the error messages. */
  async function burst(db: PrismaClient): Promise<string[]> {
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 ? db.$queryRawUnsafe('SELECT $1::int AS "n"', i) : db.$transaction(async (tx) => tx.$queryRawUnsafe('SELECT $1::int + 1 AS "n"', i)),
        ),
      );
      return results.flatMap((result) =>
        result.status === 'rejected'
          ? [
              String((result.reason as Error).message)
                .split('\n')
                .pop()!,
            ]
          : [],
      );
    } finally {
      await db.$disconnect();
    }
  }

  it("the API's client (unnamed statements) works through PgBouncer; named ones (statementNameGenerator) would not, before PgBouncer 1.21", async () => {
    requirePgBouncer();
    expect(await burst(createPrismaClient({ databaseUrl: bouncer.url(name) }))).toEqual([]);
    const named = new PrismaPg(
      { connectionString: bouncer.url(name), max: 10 },
      { statementNameGenerator: (query) => `s_${createHash('sha1').update(query.sql).digest('hex')}` },
    );
    const errors = await burst(new PrismaClient({ adapter: named }));
    const [major, minor] = bouncer.version.split('.').map(Number) as [number, number];
    // The positive control: a statement prepared on one server connection, used or prepared again on another.
    if (major === 1 && minor < 21) expect(errors.join('\n')).toMatch(/prepared statement "s_[0-9a-f]+" (already exists|does not exist)/);
  });
});

/** Polls PgBouncer's pools and PostgreSQL's backends for the test database until stopped; keeps the peaks. */
function watchPool(db: string) {
  const peaks = { clientsWaiting: 0, clientsActive: 0, serverConnections: 0, backends: 0, samples: 0 };
  let stopped = false;
  const probe = new pg.Client({ connectionString: SERVER_URL, application_name: 'pgbouncer-test-probe' });
  const done = (async () => {
    await probe.connect();
    while (!stopped) {
      const pools = await bouncer.admin<Record<string, string>>('SHOW POOLS');
      for (const pool of pools.filter((p) => p.database === db)) {
        const servers = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce((sum, column) => sum + Number(pool[column] ?? 0), 0);
        peaks.clientsWaiting = Math.max(peaks.clientsWaiting, Number(pool.cl_waiting));
        peaks.clientsActive = Math.max(peaks.clientsActive, Number(pool.cl_active) + Number(pool.cl_waiting));
        peaks.serverConnections = Math.max(peaks.serverConnections, servers);
      }
      // Not counted: this probe, and the change listener's own connection (LISTEN goes to DIRECT_DATABASE_URL, by design).
      const [row] = (
        await probe.query(
          `SELECT count(*)::int AS "n" FROM pg_stat_activity WHERE datname = $1 AND application_name NOT IN ('pgbouncer-test-probe', 'storefront-change-listener')`,
          [db],
        )
      ).rows;
      peaks.backends = Math.max(peaks.backends, row.n as number);
      peaks.samples++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await probe.end();
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return peaks;
    },
  };
}

/** Replays the outbox (through PgBouncer) until it is empty; resolves to the rows replayed. */
async function drainOutbox(target: TestApi): Promise<number> {
  await target.services.outbox.flush();
  let replayed = 0;
  for (let pass = 0; (await target.services.outbox.backlog(target.services.rawDb)).rows > 0; pass++) {
    if (pass === 20) throw new Error('the outbox did not drain in 20 passes');
    replayed += await target.services.reconciler.runOnce({ replayAfterMs: 0 });
  }
  return replayed;
}

/** Transactions PgBouncer has seen for a database (`SHOW STATS`). */
async function transactionsThrough(db: string): Promise<number> {
  const row = (await bouncer.admin<Record<string, string>>('SHOW STATS')).find((r) => r.database === db);
  return Number(row?.total_xact_count ?? 0);
}

const CART = `{ me { cart { itemCount items { quantity product { id } } } } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`;

/** Retryable answers (TRANSACTION_CONFLICT, CACHE_UNAVAILABLE: nothing was changed) sent again, as a client should. */
let resent = 0;

/** Sends an operation, again (up to 5 times, with a pause) while it answers an error with `retryable: true`. */
async function send(query: string, variables: Record<string, unknown>, token?: string, target: TestApi = api) {
  for (let attempt = 1; ; attempt++) {
    const res = await target.gql(query, variables, token);
    if (attempt >= 5 || res.errors?.[0]?.extensions?.retryable !== true) return res;
    resent++;
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

describe('the API through PgBouncer (transaction mode)', () => {
  it(
    'sign-ups, product writes, concurrent cart changes and checkouts from many clients: right answers, cache in sync, 3 server connections shared',
    { timeout: 120_000 },
    async () => {
      requirePgBouncer();
      const transactionsBefore = await transactionsThrough(name);
      const retriesBefore = api.services.stats.transactionRetries;
      const watch = watchPool(name);
      let peaks!: Awaited<ReturnType<typeof watch.stop>>;
      const CUSTOMERS = 10;
      const SCARCE_STOCK = 4;
      const requests = { count: 0 };
      const call = (query: string, variables: Record<string, unknown>, token?: string) => (requests.count++, send(query, variables, token));
      try {
        const admin = await adminUser(api);
        // Products, created at once.
        const created = await Promise.all([
          call(
            CREATE_PRODUCT,
            { input: { sku: `SCARCE-${randomBytes(3).toString('hex')}`, name: 'Scarce', priceCents: 500, stock: SCARCE_STOCK } },
            admin.token,
          ),
          ...Array.from({ length: 6 }, (_, i) =>
            call(
              CREATE_PRODUCT,
              { input: { sku: `ITEM-${i}-${randomBytes(3).toString('hex')}`, name: `Item ${i}`, priceCents: 1000 + i, stock: 1000 } },
              admin.token,
            ),
          ),
        ]);
        const [scarce, ...products] = created.map((res) => {
          const globalId: string = ok(res).createProduct.id;
          return { globalId, id: Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]) };
        });
        // Sign-ups, at once: each is a transaction (the user and their cart).
        const customers = await Promise.all(
          Array.from({ length: CUSTOMERS }, async (_, i) => {
            const res = await call(SIGN_UP, {
              input: { email: `pgb${i}-${randomBytes(3).toString('hex')}@example.com`, name: `Customer ${i}`, password: 'correct horse battery' },
            });
            const { token, user } = ok(res).signUp;
            return { token: token as string, id: Number(Buffer.from(user.id, 'base64url').toString().split(':')[1]) };
          }),
        );
        expect(new Set(customers.map((c) => c.id)).size).toBe(CUSTOMERS);

        // Price changes by the admin while every customer fills a cart with four requests at once.
        const prices = products.map((_, i) => 2000 + 10 * i);
        const picks = (i: number) => [products[i % 6]!, products[(i + 1) % 6]!, products[(i + 2) % 6]!] as const;
        const [updates, carts] = await Promise.all([
          Promise.all(products.map((p, i) => call(UPDATE_PRODUCT, { input: { id: p.globalId, priceCents: prices[i] } }, admin.token))),
          Promise.all(
            customers.map(async (customer, i) => {
              const [a, b, c] = picks(i);
              const answers = await Promise.all([
                call(ADD_TO_CART, { p: scarce!.globalId, q: 1 }, customer.token),
                call(ADD_TO_CART, { p: a.globalId, q: 2 }, customer.token),
                call(ADD_TO_CART, { p: b.globalId, q: 1 }, customer.token),
                call(ADD_TO_CART, { p: c.globalId, q: 1 }, customer.token),
              ]);
              answers.forEach((answer) => ok(answer));
              ok(await call(SET_QUANTITY, { p: a.globalId, q: 3 }, customer.token));
              ok(await call(REMOVE_FROM_CART, { p: c.globalId }, customer.token));
              return ok(await call(CART, {}, customer.token)).me.cart;
            }),
          ),
        ]);
        updates.forEach((update, i) => expect(ok(update).updateProduct).toMatchObject({ priceCents: prices[i], version: 2 }));
        carts.forEach((cart, i) => {
          const [a, b] = picks(i);
          const items = Object.fromEntries(cart.items.map((item: { quantity: number; product: { id: string } }) => [item.product.id, item.quantity]));
          expect(items).toEqual({ [scarce!.globalId]: 1, [a.globalId]: 3, [b.globalId]: 1 });
          expect(cart.itemCount).toBe(5);
        });

        // Every customer checks out twice at once: one scarce unit each, only SCARCE_STOCK of them.
        const checkouts = await Promise.all(customers.flatMap((customer) => [call(CHECKOUT, {}, customer.token), call(CHECKOUT, {}, customer.token)]));
        const failed = checkouts.filter((c) => c.errors);
        expect(failed.filter((c) => codeOf(c) !== 'OUT_OF_STOCK' && codeOf(c) !== 'BAD_USER_INPUT').map((c) => c.errors)).toEqual([]);
        const orders = checkouts.filter((c) => !c.errors).map((c) => c.data.checkout);
        expect(orders).toHaveLength(SCARCE_STOCK);
        const winners = customers.filter((_, i) => !checkouts[2 * i]!.errors || !checkouts[2 * i + 1]!.errors);
        expect(winners).toHaveLength(SCARCE_STOCK);

        // The database: stock accounted for, one order per winner at the prices of the time.
        const raw = api.services.rawDb;
        expect((await raw.product.findUniqueOrThrow({ where: { id: scarce!.id } })).stock).toBe(0);
        for (const [k, product] of products.entries()) {
          const sold = customers.reduce((sum, customer, i) => {
            if (!winners.includes(customer)) return sum;
            const [a, b] = picks(i);
            return sum + (a === product ? 3 : 0) + (b === product ? 1 : 0);
          }, 0);
          expect((await raw.product.findUniqueOrThrow({ where: { id: product.id } })).stock, `stock of Item ${k}`).toBe(1000 - sold);
        }
        expect(await raw.order.count()).toBe(SCARCE_STOCK);
        for (const order of orders) {
          const id = Number(Buffer.from(order.id, 'base64url').toString().split(':')[1]);
          const stored = await raw.order.findUniqueOrThrow({ where: { id }, include: { items: true } });
          expect(Number(order.totalCents)).toBe(stored.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0));
          expect(stored.items.map((item) => item.quantity).sort()).toEqual([1, 1, 3]);
          for (const item of stored.items) {
            expect(item.unitPriceCents).toBe(item.productId === scarce!.id ? 500 : prices[products.findIndex((p) => p.id === item.productId)]);
          }
        }
        for (const customer of customers) {
          const cart = ok(await call(CART, {}, customer.token)).me.cart;
          expect(cart.itemCount).toBe(winners.includes(customer) ? 0 : 5);
        }
      } finally {
        peaks = await watch.stop();
      }

      // The cache: every user, product and cart as committed (once the outbox has replayed
      // whatever a publish missed: a Redis command can time out on a busy machine).
      const replayed = await drainOutbox(api);
      const raw = api.services.rawDb;
      for (const user of await raw.user.findMany({ select: { id: true } })) {
        await expectCacheInSync(api, 'User', user.id);
        await expectCacheInSync(api, 'Cart', user.id);
      }
      for (const product of await raw.product.findMany({ select: { id: true } })) await expectCacheInSync(api, 'Product', product.id);

      // Connections really shared: never more than POOL_SIZE server connections, and clients queued for them.
      const transactions = (await transactionsThrough(name)) - transactionsBefore;
      console.log(
        `PgBouncer ${bouncer.version}, pool_mode=transaction, default_pool_size=${POOL_SIZE}: ${requests.count} requests, ${transactions} transactions through PgBouncer; ` +
          `peaks: ${peaks.clientsActive} client connections, ${peaks.clientsWaiting} of them waiting, ${peaks.serverConnections} server connections, ` +
          `${peaks.backends} PostgreSQL backends (${peaks.samples} samples); ${api.services.stats.transactionRetries - retriesBefore} transactions retried by the API, ` +
          `${resent} requests resent after a retryable answer; ${replayed} outbox rows replayed before the cache check`,
      );
      expect(peaks.samples).toBeGreaterThan(0);
      expect(peaks.serverConnections).toBeLessThanOrEqual(POOL_SIZE);
      expect(peaks.backends).toBeLessThanOrEqual(POOL_SIZE);
      expect(peaks.clientsActive).toBeGreaterThan(POOL_SIZE);
      expect(peaks.clientsWaiting).toBeGreaterThan(0);
      expect(transactions).toBeGreaterThan(100);
    },
  );
});

/** A TCP proxy to Redis that the test can cut (every connection closed, new ones refused) and restore. */
async function startRedisProxy(target: URL) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('the outbox and the reconciler through PgBouncer', () => {
  it(
    'a writer cut off from Redis commits (repair policy) and leaves outbox rows; racing reconcilers replay each row exactly once, through 3 server connections',
    { timeout: 60_000 },
    async () => {
      requirePgBouncer();
      const redisUrl = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
      const proxy = await startRedisProxy(redisUrl);
      // A second instance, on the same database (through PgBouncer) and cache namespace, whose Redis the test can cut.
      const writer = await startTestApi({
        DATABASE_URL: bouncer.url(name),
        DIRECT_DATABASE_URL: database.url,
        REDIS_URL: proxy.url,
        CACHE_NAMESPACE: api.namespace,
        CACHE_WRITE_POLICY: 'repair',
        ...PATIENT,
      });
      try {
        const admin = await adminUser(api);
        const ROWS = 12;
        const products = await Promise.all(
          Array.from({ length: ROWS }, async (_, i) => {
            const res = await send(
              CREATE_PRODUCT,
              { input: { sku: `OUTBOX-${i}-${randomBytes(3).toString('hex')}`, name: `Outbox ${i}`, priceCents: 100 + i } },
              admin.token,
            );
            const globalId: string = ok(res).createProduct.id;
            return { globalId, id: Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]) };
          }),
        );
        for (const p of products) ok(await api.gql(`query($id: ID!) { product(id: $id) { version } }`, { id: p.globalId }));
        for (const p of products) expect(await api.cached('Product', p.id)).toMatchObject({ version: 1 });
        await drainOutbox(api);

        // Redis unreachable for the writer: its updates commit, and only the outbox knows the cache missed them.
        proxy.cut();
        const updates = await Promise.all(
          products.map((p, i) => send(UPDATE_PRODUCT, { input: { id: p.globalId, priceCents: 5000 + i } }, admin.token, writer)),
        );
        updates.forEach((update) => expect(ok(update).updateProduct.version).toBe(2));
        expect((await api.services.outbox.backlog(api.services.rawDb)).rows).toBe(ROWS);
        for (const p of products) expect(await api.cached('Product', p.id), 'the cache still holds the old version').toMatchObject({ version: 1 });

        // Four reconcilers, three rows a pass each, their Redis writes slowed down so that their
        // transactions overlap: every claim goes through PgBouncer (FOR UPDATE SKIP LOCKED).
        const claims: string[][] = [];
        const base = api.services.store;
        const slow = Object.create(base) as typeof base;
        slow.write = async (writes) => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          return base.write(writes);
        };
        const reconcilers: Reconciler[] = Array.from({ length: 4 }, (_, r) => {
          claims[r] = [];
          const outbox: Outbox = Object.create(api.services.outbox);
          outbox.claim = async (tx, olderThanMs, limit) => {
            const rows = await api.services.outbox.claim(tx, olderThanMs, limit);
            claims[r]!.push(...rows.map((row) => row.id));
            return rows;
          };
          return createReconciler({
            entities: cachedEntities,
            schema: entityMetadata,
            store: slow,
            stats: api.services.stats,
            namespace: api.namespace,
            ttlSeconds: api.services.config.cacheTtlSeconds,
            db: api.services.rawDb,
            outbox,
            batchSize: 3,
          });
        });
        const transactionsBefore = await transactionsThrough(name);
        const watch = watchPool(name);
        let peaks!: Awaited<ReturnType<typeof watch.stop>>;
        let replayed = 0;
        let rounds = 0;
        try {
          while ((await api.services.outbox.backlog(api.services.rawDb)).rows > 0 && rounds < 10) {
            rounds++;
            const counts = await Promise.all(reconcilers.map((reconciler) => reconciler.runOnce({ replayAfterMs: 0 })));
            replayed += counts.reduce((sum, n) => sum + n, 0);
          }
        } finally {
          await watch.stop().then((p) => (peaks = p));
        }
        const all = claims.flat();
        console.log(
          `outbox: ${ROWS} rows replayed by ${claims.filter((c) => c.length > 0).length} of 4 racing reconcilers in ${rounds} round(s) ` +
            `(claims per reconciler: ${claims.map((c) => c.length).join(', ')}); ${(await transactionsThrough(name)) - transactionsBefore} transactions; ` +
            `peaks: ${peaks.clientsWaiting} clients waiting, ${peaks.serverConnections} server connections`,
        );
        expect(replayed).toBe(ROWS);
        expect(all).toHaveLength(ROWS);
        expect(new Set(all).size, 'no row claimed twice').toBe(ROWS);
        expect(claims.filter((c) => c.length > 0).length, 'the reconcilers shared the rows').toBeGreaterThan(1);
        expect(peaks.serverConnections).toBeLessThanOrEqual(POOL_SIZE);
        expect((await api.services.outbox.backlog(api.services.rawDb)).rows).toBe(0);
        for (const [i, p] of products.entries()) {
          const { row } = await expectCacheInSync(api, 'Product', p.id);
          expect(row).toMatchObject({ version: 2, priceCents: 5000 + i });
        }
        // The instances' own reconcilers, racing too, find nothing left.
        proxy.restore();
        expect(await Promise.all([api.services.reconciler.runOnce({ replayAfterMs: 0 }), writer.services.reconciler.runOnce({ replayAfterMs: 0 })])).toEqual([
          0, 0,
        ]);
      } finally {
        proxy.restore();
        await writer.close();
        await proxy.close();
      }
    },
  );
});

describe('writes that bypass the API, heard past PgBouncer', () => {
  it('the change listener LISTENs on DIRECT_DATABASE_URL: an SQL change is served within a second, the poll being off', async () => {
    requirePgBouncer();
    expect(api.services.changeListener?.listening()).toBe(true);
    const product = await api.product({ priceCents: 100 });
    const read = async () => ok(await api.gql(`query($id: ID!) { product(id: $id) { priceCents version } }`, { id: product.globalId })).product;
    expect(await read()).toEqual({ priceCents: 100, version: 1 }); // warm
    const other = new pg.Client({ connectionString: database.url, application_name: 'pgbouncer-test-probe' });
    await other.connect();
    try {
      await other.query(`UPDATE "Product" SET "priceCents" = 101 WHERE id = $1`, [product.id]);
    } finally {
      await other.end();
    }
    const committed = performance.now();
    while ((await read()).priceCents !== 101) expect(performance.now() - committed, 'the old price is still served').toBeLessThan(1000);
    console.log(`SQL COMMIT -> visible through the API behind PgBouncer: ${(performance.now() - committed).toFixed(1)} ms`);
    expect(await read()).toEqual({ priceCents: 101, version: 2 });
  });

  it('LISTEN through PgBouncer in transaction mode succeeds but hears nothing (the probe says so); on a direct connection it hears', async () => {
    requirePgBouncer();
    const send = (channel: string, payload: string) => api.services.rawDb.$executeRawUnsafe('SELECT pg_notify($1, $2)', channel, payload);
    const listen = (url: string) => createChangeListener({ connect: () => new pg.Client({ connectionString: url }), onChange: () => {} });
    const pooled = listen(bouncer.url(name));
    const direct = listen(database.url);
    try {
      expect(await pooled.start()).toBe(true);
      expect(await pooled.probe(send, 1000)).toBe(false);
      expect(await direct.start()).toBe(true);
      expect(await direct.probe(send, 5000)).toBe(true);
    } finally {
      await pooled.close();
      await direct.close();
    }
  });
});
