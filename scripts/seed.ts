/**
 * Demo data for development: an admin, products and customers with carts.
 *
 *   npm run db:seed
 *
 * Every write goes through `services.db`, the Prisma Client with the
 * write-through extension, so each created or changed row reaches Redis
 * after its transaction commits and the cache stays exact. Reruns are
 * idempotent: products are keyed by sku and customers by email, and those
 * already there are left alone (the admin's role and password are reset to
 * the ones printed, so the printed credentials always work).
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
import { hashPassword } from '../src/auth/passwords.js';
import { ConfigError, describeBackends, loadConfig } from '../src/config.js';
import type { Prisma } from '../src/generated/prisma/client.js';
import { createServices, type Services } from '../src/services.js';

const DEFAULT_ADMIN_EMAIL = 'admin@example.com';
const DEFAULT_ADMIN_PASSWORD = 'admin-password';
const CUSTOMER_PASSWORD = 'customer-password';
/** Rows per createMany, and so per transaction and per Redis pipeline. */
const CHUNK = 1000;
/** Generous: a chunk inserts and reads back up to a few thousand rows. */
const TX_OPTIONS = { maxWait: 10_000, timeout: 120_000 } as const;
const SKU_PREFIX = 'DEMO-';

class SeedError extends Error {
  override name = 'SeedError';
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

type Env = Record<string, string | undefined>;

interface SeedSettings {
  adminEmail: string;
  adminPassword: string;
  /** True when both admin credentials are the development defaults. */
  adminDefaults: boolean;
  products: number;
  customers: number;
}

function count(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SeedError(`${name} must be an integer from 0 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Same rules as the API's signUp (src/graphql/validate.ts), so the admin can log in. */
function seedSettings(env: Env): SeedSettings {
  const adminEmail = (env.SEED_ADMIN_EMAIL || DEFAULT_ADMIN_EMAIL).trim().toLowerCase();
  if (adminEmail.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(adminEmail)) {
    throw new SeedError(`SEED_ADMIN_EMAIL must be an email address like ${DEFAULT_ADMIN_EMAIL}, got ${JSON.stringify(env.SEED_ADMIN_EMAIL)}`);
  }
  const adminPassword = env.SEED_ADMIN_PASSWORD || DEFAULT_ADMIN_PASSWORD;
  if (adminPassword.length < 8 || adminPassword.length > 128) {
    throw new SeedError(`SEED_ADMIN_PASSWORD must be 8 to 128 characters, got ${adminPassword.length}`);
  }
  if (adminPassword.trim() !== adminPassword) {
    throw new SeedError('SEED_ADMIN_PASSWORD must not start or end with whitespace');
  }
  return {
    adminEmail,
    adminPassword,
    adminDefaults: adminEmail === DEFAULT_ADMIN_EMAIL && adminPassword === DEFAULT_ADMIN_PASSWORD,
    products: count(env, 'SEED_PRODUCTS', 200, 1_000_000),
    customers: count(env, 'SEED_CUSTOMERS', 20, 100_000),
  };
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
// Deterministic demo data: the same N gives the same row on every run
// ---------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG, good enough for demo data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function between(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

interface Category {
  nouns: readonly string[];
  /** Price range in whole currency units. */
  price: readonly [number, number];
  uses: readonly string[];
}

const CATEGORIES: readonly Category[] = [
  { nouns: ['Backpack', 'Duffel Bag', 'Tote', 'Messenger Bag', 'Sling Pack'], price: [29, 189], uses: ['daily commutes', 'weekend trips', 'carrying a 15-inch laptop', 'air travel'] },
  { nouns: ['Water Bottle', 'Travel Mug', 'Thermos', 'Tumbler'], price: [12, 49], uses: ['keeping coffee hot for hours', 'the gym', 'long hikes', 'the office'] },
  { nouns: ['Desk Lamp', 'Floor Lamp', 'Reading Light', 'String Lights'], price: [19, 149], uses: ['late-night reading', 'home offices', 'cozy living rooms', 'bedside tables'] },
  { nouns: ['Headphones', 'Earbuds', 'Bluetooth Speaker', 'Sound Bar'], price: [25, 349], uses: ['focused work', 'running', 'movie nights', 'long flights'] },
  { nouns: ['Chef Knife', 'Cutting Board', 'Frying Pan', 'Dutch Oven', 'Saucepan'], price: [18, 229], uses: ['everyday cooking', 'weekend baking', 'slow-cooked stews', 'meal prep'] },
  { nouns: ['Notebook', 'Fountain Pen', 'Planner', 'Sketchbook'], price: [6, 89], uses: ['journaling', 'sketching on the go', 'planning the week', 'taking meeting notes'] },
  { nouns: ['Hoodie', 'Rain Jacket', 'Wool Sweater', 'T-Shirt', 'Beanie'], price: [15, 199], uses: ['chilly mornings', 'rainy commutes', 'layering in winter', 'lazy Sundays'] },
  { nouns: ['Yoga Mat', 'Resistance Bands', 'Foam Roller', 'Kettlebell'], price: [14, 119], uses: ['home workouts', 'stretching after a run', 'strength training', 'recovery days'] },
  { nouns: ['Throw Blanket', 'Cushion', 'Bath Towel Set', 'Duvet Cover'], price: [19, 159], uses: ['the living room sofa', 'guest rooms', 'chilly evenings', 'a spa-like bathroom'] },
  { nouns: ['Plant Pot', 'Watering Can', 'Garden Trowel', 'Pruning Shears'], price: [9, 79], uses: ['balcony gardens', 'houseplants', 'raised beds', 'herb gardens'] },
];

const ADJECTIVES = ['Classic', 'Compact', 'Everyday', 'Ergonomic', 'Heritage', 'Lightweight', 'Modern', 'Premium', 'Rugged', 'Sleek', 'Urban', 'Vintage', 'Essential', 'Deluxe', 'Nordic'];
const MATERIALS = ['Bamboo', 'Canvas', 'Ceramic', 'Cotton', 'Leather', 'Linen', 'Oak', 'Recycled', 'Stainless Steel', 'Walnut', 'Merino', 'Cast Iron', 'Aluminium', 'Cork'];
const COLORS = ['charcoal', 'sand', 'forest green', 'navy', 'terracotta', 'off-white', 'slate blue', 'mustard', 'black', 'natural'];
const FEATURES = [
  'Built to last, with a two-year warranty.',
  'Made from responsibly sourced materials.',
  'Easy to clean and dishwasher safe.',
  'Designed in our studio and tested for a year before launch.',
  'Ships in plastic-free packaging.',
  'Backed by free returns within 30 days.',
  'A customer favourite since its first release.',
];

function demoSku(n: number): string {
  return `${SKU_PREFIX}${String(n).padStart(5, '0')}`;
}

function demoProduct(n: number): Prisma.ProductCreateManyInput {
  const rand = random(n * 7919 + 17);
  const category = pick(rand, CATEGORIES);
  const noun = pick(rand, category.nouns);
  const adjective = pick(rand, ADJECTIVES);
  const material = pick(rand, MATERIALS);
  const color = pick(rand, COLORS);
  const units = between(rand, category.price[0], category.price[1]);
  const cents = pick(rand, [0, 49, 95, 99, 99, 99]);
  // About one product in ten is sold out; the rest have realistic stock levels.
  const stock = rand() < 0.1 ? 0 : between(rand, 1, 250);
  return {
    sku: demoSku(n),
    name: `${adjective} ${material} ${noun}`,
    description:
      `A ${adjective.toLowerCase()} ${noun.toLowerCase()} in ${material.toLowerCase()}, finished in ${color}. ` +
      `Great for ${pick(rand, category.uses)}. ${pick(rand, FEATURES)}`,
    priceCents: units * 100 + cents,
    stock,
  };
}

const FIRST_NAMES = ['Ada', 'Ben', 'Chloé', 'Diego', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Uma', 'Viktor', 'Wen', 'Yusuf', 'Zoe'];
const LAST_NAMES = ['Andersen', 'Bianchi', 'Chen', 'Dubois', 'Evans', 'Fischer', 'García', 'Haddad', 'Ivanova', 'Johansson', 'Kowalski', 'Lopez', 'Müller', 'Nakamura', 'Okafor', 'Patel', 'Rossi', 'Silva', 'Tanaka', 'Weber'];

function customerEmail(n: number): string {
  return `customer${n}@example.com`;
}

function customerName(n: number): string {
  const rand = random(n * 104_729 + 3);
  return `${pick(rand, FIRST_NAMES)} ${pick(rand, LAST_NAMES)}`;
}

/** 1 to 5 distinct products (fewer if fewer exist), each with a quantity of 1 to 3. */
function demoCart(n: number, productIds: readonly number[]): { productId: number; quantity: number }[] {
  if (productIds.length === 0) return [];
  const rand = random(n * 15_485_863 + 11);
  const size = Math.min(between(rand, 1, 5), productIds.length);
  const chosen = new Set<number>();
  while (chosen.size < size) chosen.add(pick(rand, productIds));
  return [...chosen].map((productId) => ({ productId, quantity: between(rand, 1, 3) }));
}

// ---------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------

interface Tally {
  created: number;
  existing: number;
}

/** Hashes each distinct password once: Argon2 is slow on purpose. */
function passwordHasher() {
  const hashes = new Map<string, Promise<string>>();
  return (password: string) => {
    let hash = hashes.get(password);
    if (!hash) hashes.set(password, (hash = hashPassword(password)));
    return hash;
  };
}

async function seedAdmin(services: Services, settings: SeedSettings, hash: (p: string) => Promise<string>): Promise<Tally> {
  const line = progress('admin', 1);
  line.update(0);
  const email = settings.adminEmail;
  const passwordHash = await hash(settings.adminPassword);
  const existed = (await services.db.user.findUnique({ where: { email }, select: { id: true } })) !== null;
  await services.db.$transaction(async (tx) => {
    // An existing account is made an admin again, with the password printed below.
    const admin = await tx.user.upsert({
      where: { email },
      create: { email, name: 'Admin', role: 'ADMIN', passwordHash },
      update: { role: 'ADMIN', passwordHash },
      select: { id: true },
    });
    await tx.cart.upsert({ where: { userId: admin.id }, create: { userId: admin.id }, update: {} });
  }, TX_OPTIONS);
  line.update(1);
  line.finish(existed ? `${email} already there: role ADMIN and password reset` : `${email} created`);
  return { created: existed ? 0 : 1, existing: existed ? 1 : 0 };
}

async function seedProducts(services: Services, total: number): Promise<Tally> {
  const line = progress('products', total);
  const tally: Tally = { created: 0, existing: 0 };
  line.update(0);
  for (let start = 1; start <= total; start += CHUNK) {
    const end = Math.min(start + CHUNK - 1, total);
    const data: Prisma.ProductCreateManyInput[] = [];
    for (let n = start; n <= end; n++) data.push(demoProduct(n));
    const { count: created } = await services.db.$transaction(
      (tx) => tx.product.createMany({ data, skipDuplicates: true }),
      TX_OPTIONS,
    );
    tally.created += created;
    tally.existing += data.length - created;
    line.update(end);
  }
  line.finish(`${tally.created} created, ${tally.existing} already there` + (total > 0 ? ` (skus ${demoSku(1)}..${demoSku(total)})` : ''));
  return tally;
}

async function seedCustomers(services: Services, total: number, hash: (p: string) => Promise<string>): Promise<Tally & { cartItems: number; emptyCarts: boolean }> {
  const line = progress('customers', total);
  const tally = { created: 0, existing: 0, cartItems: 0, emptyCarts: false };
  line.update(0);
  // Carts are filled from the demo products, or from any product if there are none.
  let products = await services.db.product.findMany({ where: { sku: { startsWith: SKU_PREFIX } }, select: { id: true }, orderBy: { id: 'asc' } });
  if (products.length === 0) products = await services.db.product.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: 1000 });
  const productIds = products.map((p) => p.id);
  tally.emptyCarts = productIds.length === 0 && total > 0;

  for (let start = 1; start <= total; start += CHUNK) {
    const end = Math.min(start + CHUNK - 1, total);
    const numbers = Array.from({ length: end - start + 1 }, (_, i) => start + i);
    const emails = numbers.map(customerEmail);
    const existing = new Set(
      (await services.db.user.findMany({ where: { email: { in: emails } }, select: { email: true } })).map((u) => u.email),
    );
    const missing = numbers.filter((n) => !existing.has(customerEmail(n)));
    let created = 0;
    let items = 0;
    if (missing.length > 0) {
      const passwordHash = await hash(CUSTOMER_PASSWORD);
      const byEmail = new Map(missing.map((n) => [customerEmail(n), n]));
      ({ created, items } = await services.db.$transaction(async (tx) => {
        // skipDuplicates: a customer created meanwhile (by a concurrent run) is skipped, not an error.
        const users = await tx.user.createManyAndReturn({
          data: missing.map((n) => ({ email: customerEmail(n), name: customerName(n), passwordHash })),
          skipDuplicates: true,
          select: { id: true, email: true },
        });
        if (users.length === 0) return { created: 0, items: 0 };
        await tx.cart.createMany({ data: users.map((u) => ({ userId: u.id })) });
        const cartItems = users.flatMap((u) => demoCart(byEmail.get(u.email)!, productIds).map((item) => ({ cartId: u.id, ...item })));
        if (cartItems.length > 0) await tx.cartItem.createMany({ data: cartItems });
        return { created: users.length, items: cartItems.length };
      }, TX_OPTIONS));
    }
    tally.created += created;
    tally.existing += numbers.length - created;
    tally.cartItems += items;
    line.update(end);
  }
  line.finish(
    `${tally.created} created (${plural(tally.cartItems, 'cart item')}), ${tally.existing} already there` +
      (total > 0 ? ` (${customerEmail(1)}..${customerEmail(total)})` : ''),
  );
  return tally;
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

    const hash = passwordHasher();
    const admin = await seedAdmin(services, settings, hash);
    const products = await seedProducts(services, settings.products);
    const customers = await seedCustomers(services, settings.customers, hash);

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
    error instanceof SeedError || error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  console.error(`seed failed: ${message}`);
  process.exitCode = 1;
}
