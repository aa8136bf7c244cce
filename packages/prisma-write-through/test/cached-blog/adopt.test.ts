/**
 * `createWriteThroughCache` as the package's README adopts it: options checked
 * at once, and `redis` given as an ioredis client, so the cache builds the
 * Redis store behind the circuit breaker and the epoch fence itself. The fence
 * is what a Redis restarted from an older snapshot needs (found by a new user
 * following an earlier README that left it out: the app served the snapshot's
 * version until the TTL). The positive control builds the store without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, createWriteThroughCache, failFastRedisOptions, slowRedisOptions, type CacheStats } from '../../src/index.js';
import { createDatabase, entityMetadata, newNamespace, separate, type PrismaClient, type TestDatabase } from './support.js';

let database: TestDatabase;
let raw: PrismaClient;
beforeAll(async () => {
  database = await createDatabase();
  raw = database.client();
});
afterAll(() => database?.close());

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** A redis-server of this test's own, whose snapshot (dump.rdb in `dir`) it reloads on restart. */
function ownRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const probe = () => {
      const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      client.connect().then(
        () => {
          client.disconnect();
          resolve(child);
        },
        () => (Date.now() > deadline ? reject(new Error('redis-server did not start')) : setTimeout(probe, 50)),
      );
    };
    probe();
  });
}

describe('createWriteThroughCache checks its options when it is made', () => {
  const base = () => ({ entities: separate, schema: entityMetadata, db: raw, store: () => ({}) as never });
  it.each([
    ['ttlSeconds', { ttlSeconds: -1 }, /ttlSeconds must be a positive integer, got -1/],
    ['namespace', { namespace: 123 as unknown as string }, /namespace may only hold/],
    ['leaseMs', { leaseMs: 0 }, /leaseMs must be a positive integer/],
    ['redis and store', { redis: {} as Redis }, /either redis .* or store/],
    ['schema', { schema: { entityMetadata } as never }, /schema must be the entity metadata/],
  ])('%s', (_, wrong, message) => {
    expect(() => createWriteThroughCache({ ...base(), ...wrong })).toThrow(message);
  });
  it('entities that do not match the schema: at once, not at the first write', () => {
    expect(() => createWriteThroughCache({ ...base(), entities: { Post: { ...separate.Post, model: 'Pst' } } })).toThrow(/Pst/);
  });
  it('slowRedisOptions names what would make reads wait; failFastRedisOptions has none of it', () => {
    const plain = new Redis({ lazyConnect: true });
    expect(slowRedisOptions(plain)).toHaveLength(3);
    expect(slowRedisOptions(new Redis({ lazyConnect: true, ...failFastRedisOptions() }))).toEqual([]);
  });
});

describe('with redis given, a Redis restarted from an older snapshot is never read', () => {
  let port: number;
  let dir: string;
  let server: ChildProcess;
  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(path.join(tmpdir(), 'pwt-adopt-'));
    server = await ownRedis(port, dir);
  });
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes rev 2, snapshots, writes rev 3, restarts Redis from the snapshot; resolves to the titles read over 3 s after. */
  async function restartFromSnapshot(fenced: boolean): Promise<string[]> {
    const redis = new Redis(port, '127.0.0.1', failFastRedisOptions(1000));
    redis.on('error', () => {});
    const cache = createWriteThroughCache({
      entities: separate,
      schema: entityMetadata,
      db: raw,
      namespace: newNamespace(),
      ...(fenced ? { redis } : { store: (stats: CacheStats) => createRedisStore({ redis, stats }) }),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // the fence's first check
      const db = cache.extend(raw);
      const author = await raw.author.create({ data: { handle: `adopter-${Date.now()}-${fenced}`, name: 'A' } });
      const post = await db.post.create({ data: { authorId: author.id, title: 'first' } });
      await db.post.update({ where: { id: post.id }, data: { title: 'snapshot' } });
      expect((await cache.loaders(db).Post.load(post.id))?.title).toBe('snapshot');
      await redis.save();
      await db.post.update({ where: { id: post.id }, data: { title: 'acknowledged' } });
      expect((await cache.loaders(db).Post.load(post.id))?.title).toBe('acknowledged');
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      server = await ownRedis(port, dir);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the client reconnects
      const titles: string[] = [];
      for (const end = Date.now() + 3000; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 100))) {
        titles.push(String((await cache.loaders(db).Post.load(post.id))?.title));
      }
      return titles;
    } finally {
      await cache.close();
    }
  }

  it('every read after the restart has the acknowledged title (a new epoch)', async () => {
    const titles = await restartFromSnapshot(true);
    expect(new Set(titles)).toEqual(new Set(['acknowledged']));
  });

  it('positive control: the Redis store without the fence serves the snapshot', async () => {
    const titles = await restartFromSnapshot(false);
    expect(titles).toContain('snapshot');
  });
});
