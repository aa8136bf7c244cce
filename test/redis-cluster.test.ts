/**
 * Redis Cluster (3 masters, 3 replicas, started here on loopback): the store
 * contract holds, a batch costs one round trip per node it touches with its
 * results in key order, the whole API runs on it, and it keeps working while
 * slots move (resharding: MOVED/ASK) and after a failover.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCacheStats, groupBySlot } from 'prisma-write-through';
import { createRedisStore } from 'prisma-write-through/testing';
import { createRedisConnection, whenReady } from '../src/db/redis.js';
import { ADD_TO_CART, CART_FIELDS, expectCacheInSync, ok } from './api-helpers.js';
import { startTestApi, type TestApi } from './support/api.js';
import { startCluster, type TestCluster } from './support/redis-cluster.js';
import { storeContract } from './support/store-contract.js';

const run = promisify(execFile);
let cluster: TestCluster;
const clients: Cluster[] = [];
beforeAll(async () => {
  cluster = await startCluster();
}, 90_000);
afterAll(async () => {
  clients.forEach((c) => c.disconnect());
  await cluster?.stop();
});

function connect(): Cluster {
  const client = createRedisConnection(
    {
      kind: 'cluster',
      nodes: cluster.nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
      auth: { username: null, password: null, tls: false },
    },
    { commandTimeoutMs: 1000 },
  ) as Cluster;
  // Nodes close connections when they are demoted or resharded: expected here, not unhandled errors.
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** Keys spread over every slot range: `n` keys, each in a different slot. */
function spreadKeys(n: number, prefix = `k${randomBytes(3).toString('hex')}`) {
  return Array.from({ length: n }, (_, i) => `${prefix}:Thing:${i}`);
}

describe('slot grouping', () => {
  it('groups key positions by the master of their slot, then by slot, keeping every position once', () => {
    const slots = Array.from({ length: 16384 }, (_, slot) => [slot < 5000 ? 'a:1' : slot < 11000 ? 'b:2' : 'c:3']);
    const keys = spreadKeys(300);
    const groups = groupBySlot({ slots }, keys);
    expect([...groups.keys()].sort()).toEqual(['a:1', 'b:2', 'c:3']);
    const seen: number[] = [];
    for (const [node, bySlot] of groups) {
      for (const [slot, positions] of bySlot) {
        expect(slots[slot]![0]).toBe(node);
        for (const i of positions) expect(calculateSlot(keys[i]!)).toBe(slot);
        seen.push(...positions);
      }
    }
    expect(seen.sort((x, y) => x - y)).toEqual(keys.map((_, i) => i));
  });
});

describe('store on a cluster', () => {
  storeContract(
    (options) => createRedisStore({ redis: connect(), stats: createCacheStats(), ...options }),
    async () => {
      for (const client of clients) expect(await whenReady(client, 10_000)).toBe(true);
    },
  );

  it('a read of keys over every node costs one round trip per node, with results in key order; writes too', async () => {
    const client = connect();
    expect(await whenReady(client, 10_000)).toBe(true);
    const trips: string[] = [];
    const stats = createCacheStats();
    const store = createRedisStore({ redis: client, stats, onRoundTrip: (node) => trips.push(node) });
    const keys = spreadKeys(200);
    const writes = keys.map((key, i) => ({ key, version: i + 1, json: JSON.stringify({ i }), ttlSeconds: 60 }));
    expect(await store.write(writes)).toEqual(keys.map(() => 'written'));
    const masters = new Set(keys.map((key) => client.slots[calculateSlot(key)]![0]));
    expect(masters.size).toBe(3);
    expect(trips.sort()).toEqual([...masters].sort());
    trips.length = 0;
    const hits = await store.read([...keys].reverse());
    expect(hits).toEqual([...writes].reverse().map((w) => ({ kind: 'value', version: w.version, json: w.json })));
    expect(trips.sort()).toEqual([...masters].sort());
    expect(stats.readRoundTrips).toBe(3);
  });
});

/** Waits (10 s at most) until the API has checked the cluster's identity and adopted an epoch. */
async function waitForEpoch(api: TestApi): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (api.services.cacheEpoch() === null) {
    if (Date.now() > deadline) throw new Error('the API did not adopt a cache epoch within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the API on a cluster', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(cluster.env);
    // The API really runs on the cluster (not on a fallback store).
    expect((api.services.redis as { isCluster?: boolean } | null)?.isCluster).toBe(true);
  }, 60_000);
  afterAll(() => api?.close());

  it('serves a cart of 20 products, reads and writes through the cluster, and the cache matches the database', async () => {
    const customer = await api.signUp();
    const products = [];
    for (let i = 0; i < 20; i++) products.push(await api.product({ priceCents: 100 + i, stock: 50 }));
    for (const p of products) ok(await api.gql(ADD_TO_CART, { p: p.globalId, q: 1 }, customer.token));
    const before = { ...api.services.stats };
    const { me } = ok(await api.gql(`{ me { cart { ${CART_FIELDS} } } }`, {}, customer.token));
    expect(me.cart.itemCount).toBe(20);
    expect(me.cart.totalCents).toBe(products.reduce((sum, _, i) => sum + 100 + i, 0));
    // user, cart, then 20 products in one batch: at most one round trip per node each.
    expect(api.services.stats.readRoundTrips - before.readRoundTrips).toBeLessThanOrEqual(3 + 3 + 3);
    expect(api.services.stats.readFailures - before.readFailures).toBe(0);
    expect(api.services.stats.hits - before.hits).toBe(22);
    await expectCacheInSync(api, 'Cart', customer.id);
    for (const p of products) await expectCacheInSync(api, 'Product', p.id);
    // /metrics counts round trips per cluster node, each under its own host:port.
    const metrics = await (await fetch(api.url.replace(/\/graphql$/, '/metrics'))).text();
    const nodes = new Set([...metrics.matchAll(/^storefront_cache_round_trips_total\{[^}]*node="([^"]+)"[^}]*kind="read"/gm)].map((m) => m[1]));
    expect([...nodes].sort()).toEqual([...new Set(Object.values((api.services.redis as Cluster).slots).map((s) => s[0]!))].sort());
  });

  it('keeps answering correctly while slots move between masters (MOVED, ASK), then after a failover', async () => {
    const products = [];
    for (let i = 0; i < 10; i++) products.push(await api.product({ stock: 1000 }));
    const admin = (await api.admin()).token;
    const client = connect();
    await whenReady(client, 10_000);
    const ids = async (node: string) => (await cluster.cli(node, 'cluster', 'myid')).trim();
    const masters = [...new Set(Object.values(client.slots).map((s) => s[0]!))];
    const [from, to] = [masters[0]!, masters[1]!];
    // Writes and reads under way while 2,000 slots move.
    let stop = false;
    const failures: string[] = [];
    const traffic = (async () => {
      for (let n = 0; !stop; n++) {
        const p = products[n % products.length]!;
        const res = await api.gql(`mutation($id: ID!) { adjustStock(input: { productId: $id, delta: -1 }) { stock } }`, { id: p.globalId }, admin);
        if (res.errors) failures.push(String(res.errors[0]!.extensions?.code));
        const read = await api.gql(`{ product(id: "${p.globalId}") { stock } }`);
        if (read.errors) failures.push(String(read.errors[0]!.extensions?.code));
      }
    })();
    await run(
      'redis-cli',
      ['--cluster', 'reshard', from, '--cluster-from', await ids(from), '--cluster-to', await ids(to), '--cluster-slots', '2000', '--cluster-yes'],
      { timeout: 60_000 },
    );
    // A manual failover of one master's replica (no data lost: CLUSTER FAILOVER waits for the replica to catch up).
    const replicaOfTo = (await cluster.cli(to, 'cluster', 'replicas', await ids(to))).split(' ')[1]?.split('@')[0];
    expect(replicaOfTo).toBeTruthy();
    await cluster.cli(replicaOfTo!, 'cluster', 'failover');
    await cluster.settled();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop = true;
    await traffic;
    // Nothing but CACHE_UNAVAILABLE (a lease that could not be taken mid-move: nothing committed) is allowed.
    expect(failures.filter((code) => code !== 'CACHE_UNAVAILABLE')).toEqual([]);
    await api.services.reconciler.runOnce({ replayAfterMs: 0 });
    // A failover changes the cluster's identity: a new cache epoch, cold until read again.
    await waitForEpoch(api);
    for (const p of products) ok(await api.gql(`{ product(id: "${p.globalId}") { stock } }`));
    for (const p of products) await expectCacheInSync(api, 'Product', p.id);
  }, 120_000);

  it('a master partitioned away while its replica, behind on acknowledged writes, is promoted: no read older than the last acknowledged version', async () => {
    const admin = (await api.admin()).token;
    const product = await api.product({ stock: 1000 });
    const read = async () => (await api.gql(`{ product(id: "${product.globalId}") { version } }`)).data?.product?.version as number | undefined;
    expect(await read()).toBe(1); // cached, and replicated
    await new Promise((resolve) => setTimeout(resolve, 300));
    const epoch = api.services.cacheEpoch()!;
    const key = `${api.namespace}${epoch === 1 ? '' : `e${epoch}:`}Product:${product.id}`;
    const client = connect();
    await whenReady(client, 10_000);
    const master = client.slots[calculateSlot(key)]![0]!;
    const masterId = (await cluster.cli(master, 'cluster', 'myid')).trim();
    const replica = (await cluster.cli(master, 'cluster', 'replicas', masterId)).split(' ')[1]!.split('@')[0]!;

    // The replica stops (it gets nothing more), two writes are acknowledged, then the master freezes
    // with every connection open (a partition): the client sees timeouts, never a disconnection.
    cluster.signal(replica, 'SIGSTOP');
    for (let i = 0; i < 2; i++)
      ok(await api.gql(`mutation($id: ID!) { adjustStock(input: { productId: $id, delta: -1 }) { version } }`, { id: product.globalId }, admin));
    expect(await read()).toBe(3);
    cluster.signal(master, 'SIGSTOP');
    cluster.signal(replica, 'SIGCONT');

    const seen: number[] = [];
    let stop = false;
    const reading = (async () => {
      while (!stop) {
        const version = await read();
        if (version !== undefined) seen.push(version);
      }
    })();
    // The cluster promotes the replica (version 1 only); the master comes back and is demoted,
    // and the client follows by MOVED alone.
    const deadline = Date.now() + 30_000;
    while (!(await cluster.cli(replica, 'role')).startsWith('master')) {
      if (Date.now() > deadline) throw new Error('the replica was not promoted');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    cluster.signal(master, 'SIGCONT');
    await cluster.settled();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stop = true;
    await reading;
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((version) => version < 3)).toEqual([]);
    expect(seen.at(-1)).toBe(3);
  }, 120_000);
});
