/**
 * Query limits: over-deep, over-wide, alias bombs, too many directives,
 * over-costly and oversized requests are refused with clear errors, and
 * cheaply: PostgreSQL sees no statement and Redis no command at all (a Redis
 * server of this file's own, so its command counter is ours alone). Also the
 * hard caps on `first` and `nodes(ids)`, and the execution timeout.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';
import { freePort, startRedis, stopRedis } from './support/redis-server.js';

let api: TestApi;
let redis: ChildProcess;
let redisUrl: string;
let customer: { token: string; id: number; globalId: string };
let admin: { token: string; id: number; globalId: string };

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  api = await startTestApi({ REDIS_URL: redisUrl });
  customer = await api.signUp('Limited');
  admin = await api.admin();
  await api.product();
  // Count only what requests do: no reconciler passes or outbox cleanup during the measurements.
  await api.services.reconciler.stop();
  await api.services.outbox.flush();
});
afterAll(async () => {
  await api?.close();
  if (redis) await stopRedis(redis);
});

/**
 * Commands Redis has processed so far, INFO excepted: the cache epoch's identity check sends
 * one every second whatever the requests do (packages/prisma-write-through/src/epoch.ts), and this count asks by INFO.
 */
async function redisCommands(): Promise<number> {
  const info = await api.services.redis!.info('commandstats');
  let total = 0;
  for (const [, command, calls] of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) if (command !== 'info') total += Number(calls);
  return total;
}

/** Sends a raw body to /graphql. */
async function post(body: string, headers: Record<string, string> = {}, token?: string) {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }), ...headers },
    body,
  });
  const text = await response.text();
  let json: Omit<GraphQLResponse, 'status'> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // asserted by the caller through `text`
  }
  return { status: response.status, text, ...json } as GraphQLResponse & { text: string };
}

/**
 * Runs `send` and asserts it was refused as a whole (no data, one clear
 * error with `code` and a message matching `message`) and cost nothing:
 * zero SQL statements, zero cache round trips, zero Redis commands.
 */
async function refusedCheaply(send: () => Promise<GraphQLResponse & { text?: string }>, code: string, message: RegExp, status = 400) {
  const { stats, dbStats } = api.services;
  const before = { queries: dbStats.queries, reads: stats.readRoundTrips, writes: stats.writeRoundTrips, redis: await redisCommands() };
  const started = performance.now();
  const res = await send();
  const ms = performance.now() - started;
  const after = { queries: dbStats.queries, reads: stats.readRoundTrips, writes: stats.writeRoundTrips, redis: await redisCommands() };
  expect(res.status, JSON.stringify(res.errors ?? res.text)).toBe(status);
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(code);
  expect(res.errors?.[0]?.message).toMatch(message);
  expect(JSON.stringify(res.errors)).not.toMatch(/stacktrace|\n\s+at /);
  expect(after).toEqual(before);
  return { res, ms };
}

const gql = (query: string, variables?: Record<string, unknown>, token?: string) => post(JSON.stringify({ query, variables }), {}, token);

/** `{ me { orders { edges { node { user { orders ... } } } } } }`, nested `levels` times. */
function nestedOrders(levels: number) {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `orders(first: 1) { edges { node { user { ${inner} } } } }`;
  return `{ me { ${inner} } }`;
}

describe('depth', () => {
  it('allows the deepest useful query (depth 10) and refuses one level more', async () => {
    // me > orders > edges > node > items > product > id is 7; two round trips through user are 10.
    const ok = await gql(
      `{ me { orders(first: 5) { edges { node { user { orders(first: 5) { edges { node { items { productName } } } } } } } } } }`,
      {},
      customer.token,
    );
    expect(ok.errors).toBeUndefined();
    await refusedCheaply(() => gql(nestedOrders(3), {}, customer.token), 'GRAPHQL_VALIDATION_FAILED', /^Query depth limit of 10 exceeded, found 14\.$/);
  });

  it('counts depth through fragments', async () => {
    const query = `query { me { ...A } }
      fragment A on User { orders { edges { node { user { ...B } } } } }
      fragment B on User { orders { edges { node { user { ...C } } } } }
      fragment C on User { orders { edges { node { id } } } }`;
    await refusedCheaply(() => gql(query, {}, customer.token), 'GRAPHQL_VALIDATION_FAILED', /Query depth limit of 10 exceeded/);
  });
});

describe('width and size', () => {
  it('refuses a document of more than 1000 tokens (an over-wide selection) before parsing it whole', async () => {
    const wide = `{ me { ${Array.from({ length: 1200 }, () => 'id').join(' ')} } }`;
    await refusedCheaply(() => gql(wide, {}, customer.token), 'GRAPHQL_PARSE_FAILED', /more that 1000 tokens/);
  });

  it('refuses a body over 100 kB with 413 and a JSON error (not an HTML page)', async () => {
    const { res } = await refusedCheaply(
      () => post(JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(110_000) } })),
      'PAYLOAD_TOO_LARGE',
      /larger than the limit of 102400 bytes/,
      413,
    );
    expect(res.text).not.toMatch(/<html|<pre/i);
  });

  it('refuses a batch (an array of operations)', async () => {
    await refusedCheaply(() => post(JSON.stringify(Array.from({ length: 50 }, () => ({ query: '{ me { id } }' })))), 'BAD_REQUEST', /batching disabled/i);
  });
});

describe('aliases and directives', () => {
  it('refuses more than 15 aliases (an alias bomb)', async () => {
    const bomb = `{ ${Array.from({ length: 16 }, (_, i) => `p${i}: products(first: 100) { edges { node { id } } }`).join(' ')} }`;
    await refusedCheaply(() => gql(bomb), 'GRAPHQL_VALIDATION_FAILED', /^Aliases limit of 15 exceeded, found 16\.$/);
    const fifteen = `{ ${Array.from({ length: 15 }, (_, i) => `p${i}: product(id: "x") { id }`).join(' ')} }`;
    expect((await gql(fifteen)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT'); // past the limits: the resolver's own check
  });

  it('refuses an alias bomb hidden in fragments spread many times, fast', async () => {
    let query = 'query { me { ...U0 } }\n';
    for (let i = 0; i < 20; i++) query += `fragment U${i} on User { a${i}: id ...U${i + 1} b${i}: id ...U${i + 1} }\n`;
    query += 'fragment U20 on User { id }';
    const { ms } = await refusedCheaply(() => gql(query, {}, customer.token), 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 15 exceeded, found 2097150/);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a fragment fan-out with no aliases (2^30 expansions), fast', async () => {
    let query = 'query { ...F0 }\n';
    for (let i = 0; i < 30; i++) query += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
    query += 'fragment F30 on Query { me { id } }';
    const { ms } = await refusedCheaply(() => gql(query, {}, customer.token), 'GRAPHQL_VALIDATION_FAILED', /./);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses more than 20 directives', async () => {
    const query = `{ me { ${Array.from({ length: 21 }, () => 'id @include(if: true)').join(' ')} } }`;
    await refusedCheaply(() => gql(query, {}, customer.token), 'GRAPHQL_VALIDATION_FAILED', /^Directives limit of 20 exceeded, found 21\.$/);
  });
});

describe('cost', () => {
  const ORDERS_WITH_NESTED = `query($n: Int) { me { orders(first: $n) { edges { node { items { product { id } } user { orders(first: $n) { edges { node { id } } } } } } } } }`;

  it('multiplies by the page size: the same document passes with first: 10 and is refused with first: 100', async () => {
    const small = await gql(ORDERS_WITH_NESTED, { n: 10 }, customer.token);
    expect(small.errors).toBeUndefined();
    // 1 (me) + 100 × (orders + edge + node + 20 items × 2 + user + 100 × 3) = 34401
    await refusedCheaply(() => gql(ORDERS_WITH_NESTED, { n: 100 }, customer.token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost 34401 exceeds the limit of 5000/);
  });

  it('prices each request with its own variables, also when the document was priced before (the cost is remembered per document and variables)', async () => {
    const query = `query($n: Int, $deep: Boolean!) { me { orders(first: $n) { edges { node { id user @include(if: $deep) { orders(first: $n) { edges { node { id } } } } } } } } }`;
    for (let round = 0; round < 2; round++) {
      expect((await gql(query, { n: 100, deep: false }, customer.token)).errors).toBeUndefined();
      await refusedCheaply(() => gql(query, { n: 100, deep: true }, customer.token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost \d+ exceeds the limit of 5000/);
      expect((await gql(query, { n: 5, deep: true }, customer.token)).errors).toBeUndefined();
    }
  });

  it('prices a document whose variables were bad before: a bad enum value first does not let a good one through unpriced', async () => {
    // The nested orders of ORDERS_WITH_NESTED (cost 34401 with n: 100) and an enum variable.
    const query = `query($n: Int, $s: ProductSort) { products(first: 1, sort: $s) { edges { node { id } } } me { orders(first: $n) { edges { node { items { product { id } } user { orders(first: $n) { edges { node { id } } } } } } } } }`;
    const bogus = await gql(query, { n: 100, s: 'BOGUS' }, customer.token);
    expect(bogus.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await refusedCheaply(() => gql(query, { n: 100, s: 'PRICE' }, customer.token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost \d+ exceeds the limit of 5000/);
  });

  it('multiplies nodes(ids) by the number of ids', async () => {
    const ids = Array.from({ length: 100 }, () => customer.globalId);
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { orders(first: 20) { edges { node { id } } } } } }`;
    expect((await gql(query, { ids: ids.slice(0, 5) }, customer.token)).errors).toBeUndefined();
    await refusedCheaply(() => gql(query, { ids }, customer.token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost \d+ exceeds the limit of 5000/);
  });

  it('lets the heaviest everyday query through: an admin reading 100 orders with their lines', async () => {
    const res = await gql(
      `query($id: ID!) { user(id: $id) { orders(first: 100) { edges { node { id items { product { id } } } } } } }`,
      { id: customer.globalId },
      admin.token,
    );
    expect(res.errors).toBeUndefined();
  });
});

describe('operation types', () => {
  it('refuses a subscription (this API has none) as a validation error, 400, not an internal error', async () => {
    for (const query of ['subscription { __typename }', 'subscription S { me { id } }']) {
      await refusedCheaply(() => gql(query), 'GRAPHQL_VALIDATION_FAILED', /^This API has no subscriptions: send a query or a mutation$/);
    }
  });
});

describe('hard caps', () => {
  it('first above 100 (or absurd) is BAD_USER_INPUT before any query', async () => {
    for (const first of [101, 2 ** 31 - 1, -(2 ** 31), 0]) {
      const res = await refusedCheaply(
        () => gql(`query($f: Int) { products(first: $f) { edges { cursor } } }`, { f: first }),
        'BAD_USER_INPUT',
        /first must be from 1 to 100/,
        200,
      );
      expect(res.res.errors?.[0]?.path).toEqual(['products']);
    }
  });

  it('first beyond Int is refused by GraphQL itself', async () => {
    await refusedCheaply(
      () => gql(`query($f: Int) { products(first: $f) { edges { cursor } } }`, { f: 2 ** 31 }),
      'BAD_USER_INPUT',
      /Int cannot represent non 32-bit signed integer/,
    );
  });

  it('nodes takes at most 100 ids, before any query', async () => {
    const ids = Array.from({ length: 101 }, () => 'x');
    await refusedCheaply(() => gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }), 'BAD_USER_INPUT', /ids may hold at most 100 IDs, got 101/, 200);
  });
});

describe('execution timeout', () => {
  it('answers TIMEOUT on time when the database hangs, and the server keeps serving', async () => {
    const slow = await startTestApi({ REQUEST_TIMEOUT_MS: '300', REDIS_URL: redisUrl });
    const locker = new pg.Client({ connectionString: slow.services.config.databaseUrl! });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "Product" IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const res = await slow.gql(`{ products(first: 5) { edges { cursor } } }`);
      const ms = performance.now() - started;
      expect(res.errors?.[0]?.extensions?.code).toBe('TIMEOUT');
      expect(res.errors?.[0]?.message).toMatch(/longer than 300 ms/);
      expect(res.errors?.[0]?.path).toEqual(['products']);
      expect(ms).toBeGreaterThanOrEqual(280);
      expect(ms).toBeLessThan(2000);
      await locker.query('ROLLBACK');
      expect((await slow.gql(`{ products(first: 5) { edges { cursor } } }`)).errors).toBeUndefined();
    } finally {
      await locker.end();
      await slow.close();
    }
  });
});
