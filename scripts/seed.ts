/**
 * Demo data for development: an admin, products and customers with carts.
 *
 *   npm run db:seed
 *
 * The data and how it is written are in src/db/demo-data.ts (the API loads
 * the same on its first start on an empty embedded database). Every write
 * goes through `services.db`, the Prisma Client with the write-through
 * extension, so each created or changed row reaches Redis after its
 * transaction commits and the cache stays exact. Reruns are idempotent:
 * products are keyed by sku and customers by email, and those already there
 * are left alone (the admin's role and password are reset to the ones
 * printed, so the printed credentials always work).
 *
 * On the embedded database (no DATABASE_URL) it needs the folder to itself:
 * while the API has it open, the seed is refused at once, naming the API's
 * process (src/db/lock.ts). Stop the API first.
 *
 * Environment (also read from .env):
 *   DATABASE_URL, REDIS_URL, CACHE_*    as for the API (src/config.ts)
 *   SEED_ADMIN_EMAIL     admin's email            default admin@example.com
 *   SEED_ADMIN_PASSWORD  admin's password         default admin-password
 *   SEED_PRODUCTS        demo products            default 200
 *   SEED_CUSTOMERS       demo customers           default 20
 *
 * Exits 0 on success, 1 on any failure (with a message saying what to do).
 */
import { performance } from 'node:perf_hooks';
import dotenv from 'dotenv';
import { ConfigError, describeBackends, loadConfig } from '../src/config.js';
import { DataDirLockedError } from '../src/db/client.js';
import { CUSTOMER_PASSWORD, customerEmail, seedDemoData, seedSettings } from '../src/db/demo-data.js';
import { createServices, type Services } from '../src/services.js';

class SeedError extends Error {
  override name = 'SeedError';
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

const tty = process.stdout.isTTY === true;

/** A single-line `\r` progress display on a TTY; silent otherwise. `finish` prints the phase's result line. */
function progress(label: string, total: number) {
  let shown = -1;
  let lastDraw = 0;
  const draw = (done: number) => {
    const width = 24;
    const ratio = total === 0 ? 1 : Math.min(done / total, 1);
    const filled = Math.round(ratio * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    process.stdout.write(`\r${label.padEnd(10)} [${bar}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total}`);
  };
  return {
    update(done: number) {
      if (!tty || done === shown) return;
      const now = Date.now();
      if (done < total && now - lastDraw < 80) return;
      shown = done;
      lastDraw = now;
      draw(done);
    },
    finish(result: string) {
      if (tty) process.stdout.write('\r\x1b[2K');
      console.log(`${label.padEnd(10)} ${result}`);
    },
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

/** Waits until Redis answers: the seed refuses to write while the cache cannot follow. */
async function waitForRedis(services: Services, timeoutMs = 5000): Promise<void> {
  const { redis } = services;
  if (!redis) return; // the in-process store answers always
  const deadline = Date.now() + timeoutMs;
  // While disconnected, a command fails with "Stream isn't writeable"; the connection error says why.
  let connectionError: unknown;
  const remember = (error: unknown) => void (connectionError = error);
  redis.on('error', remember);
  try {
    for (;;) {
      try {
        await services.store.ping();
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new SeedError(
            `Redis does not answer at ${redact(services.config.redisUrl ?? '')} (${errorMessage(connectionError ?? error)}): ` +
              'start it (or set REDIS_URL) and rerun; the seed writes nothing while the cache cannot be kept up to date',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    redis.off('error', remember);
  }
}

async function checkDatabase(services: Services): Promise<void> {
  try {
    await services.db.$queryRaw`SELECT 1`;
  } catch (error) {
    throw new SeedError(`Cannot reach ${describeBackends(services.config).database}: ${errorMessage(error)} (is it running? is DATABASE_URL right?)`);
  }
  const [row] = await services.db.$queryRaw<{ ok: boolean }[]>`SELECT to_regclass('"Product"') IS NOT NULL AS ok`;
  if (!row?.ok) throw new SeedError('The database has no tables yet: run `npm run db:migrate` first');
}

/** The URL without its password, for messages. */
function redact(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(errorMessage).join('; ');
  const message = (error instanceof Error ? error.message || error.name : String(error)).replace(/\s+/g, ' ').trim();
  // Prisma wraps driver errors as "Raw query failed. Code: `N/A`. Message: `<what happened>`".
  return /Message: `(.+)`$/.exec(message)?.[1] ?? message;
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig();
  const settings = seedSettings(process.env);
  const started = performance.now();
  const services = createServices(config);
  try {
    const backends = describeBackends(config);
    console.log(`Seeding ${backends.database} (cache: ${backends.cache}, keys ${config.cacheNamespace}*)`);
    await checkDatabase(services);
    await waitForRedis(services);

    const { admin, products, customers } = await seedDemoData(services, settings, progress);

    const { writeFailures } = services.stats;
    console.log('');
    console.log(`Done in ${seconds(performance.now() - started)}:`);
    console.log(`  admin      ${admin.created} created, ${admin.existing} already there`);
    console.log(`  products   ${products.created} created, ${products.existing} already there`);
    console.log(`  customers  ${customers.created} created, ${customers.existing} already there (${plural(customers.cartItems, 'cart item')} added)`);
    if (customers.emptyCarts) console.log('  note: there are no products, so the new carts are empty');
    console.log('');
    console.log('Sign in with:');
    console.log(`  admin      ${settings.adminEmail} / ${settings.adminPassword}`);
    if (settings.adminDefaults) {
      console.log('             (the development defaults: set SEED_ADMIN_EMAIL and SEED_ADMIN_PASSWORD for anything shared)');
    }
    if (settings.customers > 0) {
      console.log(`  customers  ${customerEmail(1)}${settings.customers > 1 ? ` .. ${customerEmail(settings.customers)}` : ''} / ${CUSTOMER_PASSWORD}`);
    }
    if (writeFailures > 0) {
      throw new SeedError(
        `the data is committed, but ${plural(writeFailures, 'cache write')} after commit failed: ` +
          `some cache entries may be stale until they expire (CACHE_TTL_SECONDS=${config.cacheTtlSeconds}); ` +
          `delete the keys ${config.cacheNamespace}* in Redis to be safe`,
      );
    }
  } finally {
    await services.close();
  }
}

try {
  await main();
  process.exitCode = 0;
} catch (error) {
  if (tty) process.stdout.write('\r\x1b[2K');
  const message =
    error instanceof SeedError || error instanceof ConfigError || error instanceof DataDirLockedError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  console.error(`seed failed: ${message}`);
  process.exitCode = 1;
}
