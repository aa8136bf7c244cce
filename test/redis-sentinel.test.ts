/**
 * Redis behind Sentinel (a primary, a replica, three Sentinels, started here):
 * the API runs on it, and a failover that loses acknowledged writes (the
 * replica missed them: replication is asynchronous) never lets a client read a
 * version older than one acknowledged. The promoted replica is a new Redis
 * identity: a new cache epoch starts, and reads go to PostgreSQL until then.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCacheInSync, ok } from './api-helpers.js';
import { startTestApi, type TestApi } from './support/api.js';
import { startSentinels, type TestSentinels } from './support/redis-sentinel.js';

let sentinels: TestSentinels;
let api: TestApi;
beforeAll(async () => {
  sentinels = await startSentinels();
  api = await startTestApi(sentinels.env);
}, 60_000);
afterAll(async () => {
  await api?.close();
  await sentinels?.stop();
});

const PRODUCT = `query($id: ID!) { product(id: $id) { name version } }`;
const RENAME = `mutation($id: ID!, $name: String!) { updateProduct(input: { id: $id, name: $name }) { version } }`;

describe('Redis behind Sentinel', () => {
  it('runs on the primary the Sentinels name', async () => {
    expect(api.services.config.redis?.kind).toBe('sentinel');
    const product = await api.product({ name: 'Sentinel lamp' });
    expect(ok(await api.gql(PRODUCT, { id: product.globalId })).product.name).toBe('Sentinel lamp');
    await expectCacheInSync(api, 'Product', product.id);
  });

  it('a failover that loses acknowledged writes: no read older than the last acknowledged version, before, during or after', async () => {
    const admin = (await api.admin()).token;
    const product = await api.product({ name: 'v1' });
    expect(ok(await api.gql(PRODUCT, { id: product.globalId })).product.version).toBe(1);
    const epochBefore = api.services.cacheEpoch()!;
    const key = `${api.namespace}${epochBefore === 1 ? '' : `e${epochBefore}:`}Product:${product.id}`;
    // Wait until the replica has version 1, then cut it off: what follows reaches the primary only.
    const replica = new Redis(sentinels.replicaPort, '127.0.0.1');
    for (let i = 0; i < 50 && !(await replica.get(key))?.startsWith('1|'); i++) await new Promise((r) => setTimeout(r, 100));
    replica.disconnect();
    sentinels.processes.replica.kill('SIGSTOP');
    const primary = new Redis(sentinels.primaryPort, '127.0.0.1');
    await primary.client('KILL', 'TYPE', 'replica');
    primary.disconnect();
    let acknowledged = 1;
    for (const name of ['v2', 'v3']) acknowledged = ok(await api.gql(RENAME, { id: product.globalId, name }, admin)).updateProduct.version;
    expect(acknowledged).toBe(3);
    // The primary dies; the replica (with version 1 only) comes back and is promoted.
    sentinels.processes.primary.kill('SIGKILL');
    sentinels.processes.replica.kill('SIGCONT');
    const answers: number[] = [];
    const deadline = Date.now() + 30_000;
    while ((await sentinels.currentPrimary()) !== sentinels.replicaPort || api.services.cacheEpoch() === epochBefore || api.services.cacheEpoch() === null) {
      if (Date.now() > deadline) throw new Error('no failover within 30 s');
      const res = await api.gql(PRODUCT, { id: product.globalId });
      if (res.data?.product) answers.push(res.data.product.version);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Positive control: the promoted replica really holds version 1 under the old epoch's key.
    const promoted = new Redis(sentinels.replicaPort, '127.0.0.1');
    expect(await promoted.get(key)).toMatch(/^1\|/);
    promoted.disconnect();
    for (let i = 0; i < 10; i++) answers.push(ok(await api.gql(PRODUCT, { id: product.globalId })).product.version);
    expect(answers.length).toBeGreaterThan(10);
    expect(answers.filter((version) => version < acknowledged)).toEqual([]);
    expect(api.services.cacheEpoch()).toBeGreaterThan(epochBefore);
    // Writes go on through the new primary.
    expect(ok(await api.gql(RENAME, { id: product.globalId, name: 'v4' }, admin)).updateProduct.version).toBe(4);
    expect(ok(await api.gql(PRODUCT, { id: product.globalId })).product).toEqual({ name: 'v4', version: 4 });
    await expectCacheInSync(api, 'Product', product.id);
  }, 60_000);
});
