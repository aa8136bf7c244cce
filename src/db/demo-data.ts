/**
 * The demo data: an admin, products and customers with carts, made the same
 * on every run (deterministic), loaded by `npm run db:seed` (scripts/seed.ts)
 * and by the API's first start on an empty embedded database (src/main.ts).
 *
 * Every write goes through `services.db`, the Prisma Client with the
 * write-through extension, so each created or changed row reaches the cache
 * after its transaction commits and the cache stays exact. Loading is
 * idempotent: products are keyed by sku and customers by email, and those
 * already there are left alone (the admin's role and password are reset to
 * the configured ones, so the printed credentials always work).
 */
import { hashPassword } from '../auth/passwords.js';
import { emailOrNull } from '../graphql/validate.js';
import { ConfigError, type Config } from '../config.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { Services } from '../services.js';

const DEFAULT_ADMIN_EMAIL = 'admin@example.com';
const DEFAULT_ADMIN_PASSWORD = 'admin-password';
/** The password of every demo customer. */
export const CUSTOMER_PASSWORD = 'customer-password';
/** Rows per createMany, and so per transaction and per Redis pipeline. */
const CHUNK = 1000;
/** Generous: a chunk inserts and reads back up to a few thousand rows. */
const TX_OPTIONS = { maxWait: 10_000, timeout: 120_000 } as const;
const SKU_PREFIX = 'DEMO-';

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

type Env = Record<string, string | undefined>;

/** What to load, from `SEED_*` (see `seedSettings`). */
export interface SeedSettings {
  adminEmail: string;
  adminPassword: string;
  /** True when both admin credentials are the development defaults. */
  adminDefaults: boolean;
  /** Demo products (skus DEMO-00001...). */
  products: number;
  /** Demo customers (customer1@example.com...), each with a cart. */
  customers: number;
}

function count(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ConfigError(`${name} must be an integer from 0 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * The settings from the environment: `SEED_ADMIN_EMAIL` (admin@example.com),
 * `SEED_ADMIN_PASSWORD` (admin-password), `SEED_PRODUCTS` (200),
 * `SEED_CUSTOMERS` (20). The admin's are checked by the same rules as the
 * API's signUp (src/graphql/validate.ts), so the admin can log in. Throws
 * `ConfigError` naming the variable on a bad value.
 */
export function seedSettings(env: Env): SeedSettings {
  // The one form logIn looks accounts up by (NFKC, case, IDNA, no trailing dot).
  const adminEmail = emailOrNull(env.SEED_ADMIN_EMAIL || DEFAULT_ADMIN_EMAIL);
  if (adminEmail === null) {
    throw new ConfigError(`SEED_ADMIN_EMAIL must be an email address like ${DEFAULT_ADMIN_EMAIL}, got ${JSON.stringify(env.SEED_ADMIN_EMAIL)}`);
  }
  const adminPassword = env.SEED_ADMIN_PASSWORD || DEFAULT_ADMIN_PASSWORD;
  if (adminPassword.length < 8 || adminPassword.length > 128) {
    throw new ConfigError(`SEED_ADMIN_PASSWORD must be 8 to 128 characters, got ${adminPassword.length}`);
  }
  if (adminPassword.trim() !== adminPassword) {
    throw new ConfigError('SEED_ADMIN_PASSWORD must not start or end with whitespace');
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
  {
    nouns: ['Backpack', 'Duffel Bag', 'Tote', 'Messenger Bag', 'Sling Pack'],
    price: [29, 189],
    uses: ['daily commutes', 'weekend trips', 'carrying a 15-inch laptop', 'air travel'],
  },
  {
    nouns: ['Water Bottle', 'Travel Mug', 'Thermos', 'Tumbler'],
    price: [12, 49],
    uses: ['keeping coffee hot for hours', 'the gym', 'long hikes', 'the office'],
  },
  {
    nouns: ['Desk Lamp', 'Floor Lamp', 'Reading Light', 'String Lights'],
    price: [19, 149],
    uses: ['late-night reading', 'home offices', 'cozy living rooms', 'bedside tables'],
  },
  { nouns: ['Headphones', 'Earbuds', 'Bluetooth Speaker', 'Sound Bar'], price: [25, 349], uses: ['focused work', 'running', 'movie nights', 'long flights'] },
  {
    nouns: ['Chef Knife', 'Cutting Board', 'Frying Pan', 'Dutch Oven', 'Saucepan'],
    price: [18, 229],
    uses: ['everyday cooking', 'weekend baking', 'slow-cooked stews', 'meal prep'],
  },
  {
    nouns: ['Notebook', 'Fountain Pen', 'Planner', 'Sketchbook'],
    price: [6, 89],
    uses: ['journaling', 'sketching on the go', 'planning the week', 'taking meeting notes'],
  },
  {
    nouns: ['Hoodie', 'Rain Jacket', 'Wool Sweater', 'T-Shirt', 'Beanie'],
    price: [15, 199],
    uses: ['chilly mornings', 'rainy commutes', 'layering in winter', 'lazy Sundays'],
  },
  {
    nouns: ['Yoga Mat', 'Resistance Bands', 'Foam Roller', 'Kettlebell'],
    price: [14, 119],
    uses: ['home workouts', 'stretching after a run', 'strength training', 'recovery days'],
  },
  {
    nouns: ['Throw Blanket', 'Cushion', 'Bath Towel Set', 'Duvet Cover'],
    price: [19, 159],
    uses: ['the living room sofa', 'guest rooms', 'chilly evenings', 'a spa-like bathroom'],
  },
  {
    nouns: ['Plant Pot', 'Watering Can', 'Garden Trowel', 'Pruning Shears'],
    price: [9, 79],
    uses: ['balcony gardens', 'houseplants', 'raised beds', 'herb gardens'],
  },
];

const ADJECTIVES = [
  'Classic',
  'Compact',
  'Everyday',
  'Ergonomic',
  'Heritage',
  'Lightweight',
  'Modern',
  'Premium',
  'Rugged',
  'Sleek',
  'Urban',
  'Vintage',
  'Essential',
  'Deluxe',
  'Nordic',
];
const MATERIALS = [
  'Bamboo',
  'Canvas',
  'Ceramic',
  'Cotton',
  'Leather',
  'Linen',
  'Oak',
  'Recycled',
  'Stainless Steel',
  'Walnut',
  'Merino',
  'Cast Iron',
  'Aluminium',
  'Cork',
];
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

const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloé',
  'Diego',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Uma',
  'Viktor',
  'Wen',
  'Yusuf',
  'Zoe',
];
const LAST_NAMES = [
  'Andersen',
  'Bianchi',
  'Chen',
  'Dubois',
  'Evans',
  'Fischer',
  'García',
  'Haddad',
  'Ivanova',
  'Johansson',
  'Kowalski',
  'Lopez',
  'Müller',
  'Nakamura',
  'Okafor',
  'Patel',
  'Rossi',
  'Silva',
  'Tanaka',
  'Weber',
];

/** The email of demo customer `n` (1-based): `customer<n>@example.com`. */
export function customerEmail(n: number): string {
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

/** Rows of one kind: created by this run, and found already there. */
export interface Tally {
  created: number;
  existing: number;
}

/**
 * Reports a phase (`admin`, `products`, `customers`) of `total` rows:
 * `update(done)` as rows are written, then `finish(result)` once with a
 * one-line summary. The default reports nothing.
 */
export type Progress = (label: string, total: number) => { update(done: number): void; finish(result: string): void };

const silent: Progress = () => ({ update() {}, finish() {} });

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
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

async function seedAdmin(services: Services, settings: SeedSettings, hash: (p: string) => Promise<string>, progress: Progress): Promise<Tally> {
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

async function seedProducts(services: Services, total: number, progress: Progress): Promise<Tally> {
  const line = progress('products', total);
  const tally: Tally = { created: 0, existing: 0 };
  line.update(0);
  for (let start = 1; start <= total; start += CHUNK) {
    const end = Math.min(start + CHUNK - 1, total);
    const data: Prisma.ProductCreateManyInput[] = [];
    for (let n = start; n <= end; n++) data.push(demoProduct(n));
    const { count: created } = await services.db.$transaction((tx) => tx.product.createMany({ data, skipDuplicates: true }), TX_OPTIONS);
    tally.created += created;
    tally.existing += data.length - created;
    line.update(end);
  }
  line.finish(`${tally.created} created, ${tally.existing} already there` + (total > 0 ? ` (skus ${demoSku(1)}..${demoSku(total)})` : ''));
  return tally;
}

async function seedCustomers(
  services: Services,
  total: number,
  hash: (p: string) => Promise<string>,
  progress: Progress,
): Promise<Tally & { cartItems: number; emptyCarts: boolean }> {
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
    const existing = new Set((await services.db.user.findMany({ where: { email: { in: emails } }, select: { email: true } })).map((u) => u.email));
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
// Loading
// ---------------------------------------------------------------------------

/** What `seedDemoData` did, per kind of row. */
export interface DemoDataResult {
  admin: Tally;
  products: Tally;
  /** `cartItems`: items added to the new customers' carts; `emptyCarts`: there were no products to fill them. */
  customers: Tally & { cartItems: number; emptyCarts: boolean };
}

/**
 * Loads the demo data through `services.db` (write-through): the admin, then
 * the products, then the customers with their carts, in transactions of up to
 * 1000 rows. Idempotent. Rejects with the database's or the cache's error
 * (under `CACHE_WRITE_POLICY=fail`, a cache that cannot take part refuses the
 * writes); what was committed before stays.
 */
export async function seedDemoData(services: Services, settings: SeedSettings, progress: Progress = silent): Promise<DemoDataResult> {
  const hash = passwordHasher();
  const admin = await seedAdmin(services, settings, hash, progress);
  const products = await seedProducts(services, settings.products, progress);
  const customers = await seedCustomers(services, settings.customers, hash, progress);
  return { admin, products, customers };
}

/**
 * Whether the API loads the demo data when it starts on an empty database,
 * from `SEED_DEMO_DATA`: unset, only for the embedded database (no
 * `DATABASE_URL`); `true`, for any database; `false`, never. Throws
 * `ConfigError` on any other value.
 */
export function demoDataOnStart(env: Env, config: Pick<Config, 'databaseUrl'>): boolean {
  const raw = (env.SEED_DEMO_DATA ?? '').trim();
  if (raw === '') return config.databaseUrl === null;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(`SEED_DEMO_DATA must be true or false, got ${JSON.stringify(env.SEED_DEMO_DATA)}`);
}

/**
 * What the database holds: `no-tables` (not migrated: no "Product" table),
 * `empty` (no user and no product), or `data`.
 */
export async function databaseContents(db: PrismaClient): Promise<'no-tables' | 'empty' | 'data'> {
  const [row] = await db.$queryRaw<{ ok: boolean }[]>`SELECT to_regclass('"Product"') IS NOT NULL AND to_regclass('"User"') IS NOT NULL AS ok`;
  if (!row?.ok) return 'no-tables';
  const [user, product] = await Promise.all([db.user.findFirst({ select: { id: true } }), db.product.findFirst({ select: { id: true } })]);
  return user === null && product === null ? 'empty' : 'data';
}
