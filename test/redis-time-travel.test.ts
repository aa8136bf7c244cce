/**
 * A Redis that goes back in time is never read: after a restart from a
 * snapshot that misses the last acknowledged writes (or a restore of an older
 * backup, or another server at the same address), the API serves what
 * PostgreSQL committed, never the older entries Redis came back with. The
 * cache epoch (packages/prisma-write-through/src/epoch.ts) does it: a new Redis identity starts a new
 * epoch, and nothing of the old one is read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCacheInSync, ok } from './api-helpers.js';
import { startTestApi, type TestApi } from './support/api.js';
import { freePort, stopRedis } from './support/redis-server.js';

let dir: string;
let port: number;
let redis: ChildProcess;
let api: TestApi;
let second: TestApi;

/** A redis-server that keeps an RDB file in `dir` (saved only when asked: SAVE). */
async function startPersisted(): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb'],
    { stdio: 'pipe' },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept connections') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'wt-time-travel-'));
  port = await freePort();
  redis = await startPersisted();
  api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${port}` });
  // A second instance on the same database and namespace: it must not read the past either.
  second = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${port}`, DATABASE_URL: api.services.config.databaseUrl!, CACHE_NAMESPACE: api.namespace });
});
afterAll(async () => {
  await second?.close();
  await api?.close();
  if (redis) await stopRedis(redis);
  rmSync(dir, { recursive: true, force: true });
});

const PRODUCT = `query($id: ID!) { product(id: $id) { name priceCents version } }`;
const RENAME = `mutation($id: ID!, $name: String!) { updateProduct(input: { id: $id, name: $name }) { version } }`;

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis restarted from a snapshot that misses acknowledged writes', () => {
  it('serves the committed version, on both instances, never the one the snapshot brought back', async () => {
    const admin = (await api.admin()).token;
    const product = await api.product({ name: 'v1 name', priceCents: 100 });
    for (const instance of [api, second]) expect(ok(await instance.gql(PRODUCT, { id: product.globalId })).product.name).toBe('v1 name');
    const epochBefore = api.services.cacheEpoch();
    const key = `${api.namespace}${epochBefore === 1 ? '' : `e${epochBefore}:`}Product:${product.id}`;

    // The snapshot holds version 1; then version 2 and 3 are acknowledged (and cached).
    const admin$ = new Redis(port, { lazyConnect: true });
    await admin$.connect();
    await admin$.save();
    admin$.disconnect();
    ok(await api.gql(RENAME, { id: product.globalId, name: 'v2 name' }, admin));
    expect(ok(await api.gql(RENAME, { id: product.globalId, name: 'v3 name' }, admin)).updateProduct.version).toBe(3);
    for (const instance of [api, second])
      expect(ok(await instance.gql(PRODUCT, { id: product.globalId })).product).toMatchObject({ name: 'v3 name', version: 3 });

    // Redis dies and comes back from the snapshot: it went back in time.
    await stopRedis(redis);
    redis = await startPersisted();
    const raw = new Redis(port);
    // Positive control: Redis really holds version 1 again, where a plain read would find it.
    expect(await raw.get(key)).toMatch(/^1\|.*"v1 name"/);
    raw.disconnect();

    // From the first request after the restart on, both instances answer version 3.
    const answers: { name: string; version: number }[] = [];
    await eventually(async () => {
      for (const instance of [api, second]) answers.push(ok(await instance.gql(PRODUCT, { id: product.globalId })).product);
      return api.services.cacheEpoch() !== null && second.services.cacheEpoch() !== null;
    });
    for (let i = 0; i < 5; i++) for (const instance of [api, second]) answers.push(ok(await instance.gql(PRODUCT, { id: product.globalId })).product);
    expect(answers.filter((a) => a.version !== 3)).toEqual([]);
    // A new epoch, agreed by both; the cache refills in it.
    expect(api.services.cacheEpoch()).toBeGreaterThan(epochBefore!);
    expect(second.services.cacheEpoch()).toBe(api.services.cacheEpoch());
    await expectCacheInSync(api, 'Product', product.id);
    // And writes go on.
    expect(ok(await api.gql(RENAME, { id: product.globalId, name: 'v4 name' }, admin)).updateProduct.version).toBe(4);
    expect(ok(await second.gql(PRODUCT, { id: product.globalId })).product).toMatchObject({ name: 'v4 name', version: 4 });
  });
});
