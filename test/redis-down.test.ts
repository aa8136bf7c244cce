/**
 * Redis unreachable: queries answer correctly from PostgreSQL, mutations
 * still commit (the cache write failure is counted), and the cache is used
 * again once Redis is back. Uses a Redis server of its own on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept connections') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

let api: TestApi;
let redis: ChildProcess;
let port: number;

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${port}` });
});
afterAll(async () => {
  await api?.close();
  if (redis) await stop(redis);
});

const PRODUCT = `query($id: ID!) { product(id: $id) { name priceCents version } }`;
const CART = `{ me { name cart { itemCount items { product { name } } } } }`;

describe('when Redis is unreachable', () => {
  it('queries answer from PostgreSQL, mutations commit, and the cache serves again once Redis is back', async () => {
    const product = await api.product({ name: 'Lamp', priceCents: 4200 });
    const admin = await api.admin();
    const customer = await api.signUp('Cara');
    await api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p }) { version } }`, { p: product.globalId }, customer.token);
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ name: 'Lamp', version: 1 });

    await stop(redis);
    const { stats } = api.services;
    const failuresBefore = stats.readFailures;

    const started = Date.now();
    const read = await api.gql(PRODUCT, { id: product.globalId });
    expect(read.errors).toBeUndefined();
    expect(read.data.product).toEqual({ name: 'Lamp', priceCents: 4200, version: 1 });
    const cart = await api.gql(CART, {}, customer.token);
    expect(cart.data.me).toEqual({ name: 'Cara', cart: { itemCount: 1, items: [{ product: { name: 'Lamp' } }] } });
    expect(stats.readFailures).toBeGreaterThan(failuresBefore);
    // Fail fast: no command queueing behind a dead connection (generous bound for a noisy machine).
    expect(Date.now() - started).toBeLessThan(3000);

    // A mutation still commits; the failed cache write is counted.
    const writeFailures = stats.writeFailures;
    const update = await api.gql(
      `mutation($id: ID!) { updateProduct(input: { id: $id, priceCents: 3900 }) { priceCents version } }`,
      { id: product.globalId },
      admin.token,
    );
    expect(update.errors).toBeUndefined();
    expect(update.data.updateProduct).toEqual({ priceCents: 3900, version: 2 });
    expect(stats.writeFailures).toBeGreaterThan(writeFailures);
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ priceCents: 3900, version: 2 });

    // Redis back (empty, as after a restart): reads fill it and hit it again.
    redis = await startRedis(port);
    await expect.poll(() => api.services.store.ping().then(() => true, () => false), { timeout: 10_000 }).toBe(true);
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ priceCents: 3900, version: 2 });
    const hits = stats.hits;
    expect((await api.gql(PRODUCT, { id: product.globalId })).data.product).toMatchObject({ priceCents: 3900, version: 2 });
    expect(stats.hits).toBeGreaterThan(hits);
    expect(await api.cached('Product', product.id)).toMatchObject({ version: 2 });
  });
});
