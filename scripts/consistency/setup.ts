/**
 * The hot set, created through the API: an admin, a few products, a few
 * customers each with a cart holding one product. Only the admin's role is
 * set directly in PostgreSQL (there is no API for it), after which its cache
 * entry is deleted and it logs in again.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import { errorCode, numericIdOf, postGraphQL } from './http.js';
import type { Observer } from './observer.js';
import type { Random } from './random.js';
import { now } from './time.js';

export interface Customer {
  id: number;
  globalId: string;
  token: string;
}

export interface Fixture {
  admin: Customer;
  products: { id: number; globalId: string }[];
  customers: Customer[];
}

export interface SetupOptions {
  /** Base URLs of the API instances; setup spreads its calls over them. */
  baseUrls: readonly string[];
  pool: pg.Pool;
  /** A new connection to the run's Redis (closed after use), to drop the admin's cache entry. */
  connectRedis: () => Promise<Redis | Cluster>;
  namespace: string;
  products: number;
  customers: number;
  /** Initial stock of each product: small, so OUT_OF_STOCK happens. */
  stock: number;
  random: Random;
  observer: Observer;
}

const PASSWORD = 'consistency-check-password';

async function call(baseUrl: string, what: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const outcome = await postGraphQL(baseUrl, query, variables, token, 30_000);
  if (outcome.kind !== 'answer') throw new Error(`setup: ${what} failed: ${outcome.kind === 'http-error' ? `HTTP ${outcome.status}` : outcome.reason}`);
  if (outcome.errors?.length || !outcome.data)
    throw new Error(`setup: ${what} failed: ${errorCode(outcome.errors ?? [])} ${outcome.errors?.[0]?.message ?? 'no data'}`);
  return outcome.data;
}

export async function createFixture(options: SetupOptions): Promise<Fixture> {
  const { baseUrls, pool, random, observer } = options;
  const run = randomBytes(3).toString('hex');
  const url = (i: number) => baseUrls[i % baseUrls.length]!;

  // Mutation answers during setup are acknowledgements like any other.
  const ack = (entity: string, version: number, sentAt: number, instance: number, operation: string) =>
    observer.acknowledge(entity, version, { at: now(), sentAt, instance: String.fromCharCode(65 + (instance % baseUrls.length)), operation });

  const signUp = async (i: number, email: string, name: string): Promise<Customer> => {
    const sentAt = now();
    const data = await call(
      url(i),
      `signUp ${email}`,
      `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id version cart { version } } } }`,
      {
        input: { email, name, password: PASSWORD },
      },
    );
    const user = data.signUp.user;
    const id = numericIdOf(user.id);
    ack(`User:${id}`, user.version, sentAt, i, 'signUp');
    return { id, globalId: user.id, token: data.signUp.token };
  };

  // The admin: sign up, promote in PostgreSQL (with a version bump, as any write), drop its cache entry, log in again.
  const adminEmail = `admin-${run}@consistency.test`;
  const signedUp = await signUp(0, adminEmail, 'Consistency Admin');
  await pool.query(`UPDATE "User" SET role = 'ADMIN', version = version + 1, "updatedAt" = now() WHERE id = $1`, [signedUp.id]);
  const redis = await options.connectRedis();
  try {
    // In every cache epoch (a Cluster's first checks may already have started a second one).
    const servers = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
    for (const server of servers) {
      for (const pattern of [`${options.namespace}User:${signedUp.id}`, `${options.namespace}e*:User:${signedUp.id}`]) {
        let cursor = '0';
        do {
          const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const key of keys) await redis.del(key);
        } while (cursor !== '0');
      }
    }
  } finally {
    redis.disconnect();
  }
  const login = await call(url(1), 'admin logIn', `mutation($input: LogInInput!) { logIn(input: $input) { token user { role } } }`, {
    input: { email: adminEmail, password: PASSWORD },
  });
  if (login.logIn.user.role !== 'ADMIN') throw new Error(`setup: the admin logged in as ${login.logIn.user.role}, not ADMIN`);
  const admin: Customer = { ...signedUp, token: login.logIn.token };

  const products = [];
  for (let i = 0; i < options.products; i++) {
    const sentAt = now();
    const data = await call(
      url(i),
      'createProduct',
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id version } }`,
      {
        input: { sku: `CC-${run}-${i + 1}`, name: `Product ${i + 1}`, priceCents: random.int(100, 10_000), stock: options.stock },
      },
      admin.token,
    );
    const id = numericIdOf(data.createProduct.id);
    ack(`Product:${id}`, data.createProduct.version, sentAt, i, 'createProduct');
    products.push({ id, globalId: data.createProduct.id as string });
  }

  const customers = await Promise.all(
    Array.from({ length: options.customers }, (_, i) => signUp(i, `customer-${run}-${i + 1}@consistency.test`, `Customer ${i + 1}`)),
  );
  for (const [i, customer] of customers.entries()) {
    const sentAt = now();
    const data = await call(
      url(i),
      'addToCart',
      `mutation($input: AddToCartInput!) { addToCart(input: $input) { id version } }`,
      {
        input: { productId: random.pick(products).globalId, quantity: 1 },
      },
      customer.token,
    );
    ack(`Cart:${customer.id}`, data.addToCart.version, sentAt, i, 'addToCart');
  }
  return { admin, products, customers };
}
