/**
 * Starts the real API (Express + Apollo on a free port) against a fresh
 * PostgreSQL database and a private Redis namespace, and talks to it over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { decodeEntry } from 'prisma-write-through';
import { loadConfig } from '../../src/config.js';
import { startServer, type ApiServer } from '../../src/server/http.js';
import { createServices, type Services } from '../../src/services.js';
import { createTestDatabase } from './databases.js';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface TestApi {
  url: string;
  services: Services;
  namespace: string;
  /** POSTs a GraphQL operation, with a bearer token if given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /** Signs up a customer; returns its token and numeric id. */
  signUp(name?: string): Promise<{ token: string; id: number; globalId: string }>;
  /** Signs up a user and makes it an admin (directly in the database, then drops its cache entry). */
  admin(): Promise<{ token: string; id: number; globalId: string }>;
  /** Creates a product as an admin; returns its numeric and global ids. */
  product(input?: Partial<{ sku: string; name: string; priceCents: number; stock: number }>): Promise<{ id: number; globalId: string }>;
  /**
   * Raw value of a cache key of this API (`<namespace><Entity>:<id>`, in the current epoch), or null; a lease shows as `{ leased: true }`.
   * `value` is the entity as cached, without its shape fingerprint (packages/prisma-write-through/src/shape.ts).
   */
  cached(entity: string, id: number): Promise<{ version: number; value: any; leased?: true } | null>;
  /** Every row of every table, and every cache entry of this namespace: equal snapshots mean nothing changed. */
  snapshot(): Promise<{ db: Record<string, unknown[]>; cache: Record<string, string> }>;
  close(): Promise<void>;
}

let sequence = 0;

export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const namespace = `t${randomBytes(4).toString('hex')}:`;
  // Tests run against real Redis unless a test asks for the in-process store (REDIS_URL: '').
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DATABASE_URL: database.url,
    CACHE_NAMESPACE: namespace,
    PORT: '0',
    ...env,
  });
  const services = createServices(config);
  if (!(await services.ready())) throw new Error(`Redis at ${config.redisUrl!} is not reachable`);
  const server: ApiServer = await startServer(services, { port: 0 });
  const url = `${server.url}/graphql`;

  const api: TestApi = {
    url,
    services,
    namespace,
    async gql(query, variables, token) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async signUp(name = 'Test User') {
      const email = `user${++sequence}-${randomBytes(3).toString('hex')}@example.com`;
      const res = await api.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`, {
        input: { email, name, password: 'correct horse battery' },
      });
      if (!res.data) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
      const globalId: string = res.data.signUp.user.id;
      const id = Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]);
      return { token: res.data.signUp.token, id, globalId };
    },
    async admin() {
      const user = await api.signUp('Admin');
      // Through the write-through like any write (there is no GraphQL mutation for it): the new version
      // is published under a lease, so a late publish of the sign-up's version cannot bring the
      // customer role back (dropping the entry after a write behind the API's back could: a flake).
      await services.db.user.update({ where: { id: user.id }, data: { role: 'ADMIN' } });
      await services.outbox.flush();
      return user;
    },
    async product(input = {}) {
      const admin = adminToken ?? (adminToken = (await api.admin()).token);
      const res = await api.gql(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku: `SKU-${++sequence}-${randomBytes(2).toString('hex')}`, name: 'Product', priceCents: 1000, stock: 10, ...input } },
        admin,
      );
      if (!res.data) throw new Error(`createProduct failed: ${JSON.stringify(res.errors)}`);
      const globalId: string = res.data.createProduct.id;
      return { id: Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]), globalId };
    },
    async cached(entity, id) {
      // The key in the current cache epoch (packages/prisma-write-through/src/epoch.ts): plain in epoch 1, `<ns>e<n>:...` after.
      const epoch = services.cacheEpoch();
      const key = `${namespace}${epoch === null || epoch === 1 ? '' : `e${epoch}:`}${entity}:${id}`;
      if (!services.redis) {
        // The in-process store: through its own interface (a lease reads as a miss there).
        const hit = (await services.store.read([key]))[0];
        return hit ? { version: hit.version, value: hit.kind === 'value' ? JSON.parse(hit.json) : null } : null;
      }
      if ((await services.redis!.type(key)) === 'hash') return { version: -1, value: null, leased: true };
      const hit = decodeEntry(await services.redis!.get(key));
      if (!hit) return null;
      return { version: hit.version, value: hit.kind === 'value' ? JSON.parse(hit.json) : null };
    },
    async snapshot() {
      const db: Record<string, unknown[]> = {};
      for (const table of ['User', 'Session', 'Product', 'Cart', 'CartItem', 'Order', 'OrderItem']) {
        db[table] = await services.rawDb.$queryRawUnsafe(`SELECT * FROM "${table}" ORDER BY 1, 2`);
      }
      const cache: Record<string, string> = {};
      let cursor = '0';
      do {
        const [next, keys] = await services.redis!.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 500);
        cursor = next;
        // Fill leases (a miss's claim, expiring in CACHE_FILL_LEASE_MS) are coordination, not cache contents.
        for (const key of keys) if (!key.includes('#fill{')) cache[key] = (await services.redis!.get(key)) ?? '';
      } while (cursor !== '0');
      return { db, cache };
    },
    async close() {
      await server.stop();
      await services.close();
      await database.drop();
    },
  };
  let adminToken: string | undefined;
  return api;
}

/** Decodes a global ID to its numeric id (tests only). */
export function idOf(globalId: string): number {
  return Number(Buffer.from(globalId, 'base64url').toString().split(':')[1]);
}
