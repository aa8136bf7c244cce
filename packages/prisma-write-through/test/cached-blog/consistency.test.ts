/**
 * A short consistency run on the cached-blog schema: concurrent writers and
 * readers over two instances of an application (each its own Prisma Client
 * with the write-through extension, its own Redis connection, its own loaders
 * per request), on real PostgreSQL and Redis, while their Redis connections
 * are killed (CLIENT KILL) every few hundred milliseconds.
 *
 * A write is acknowledged when its transaction returns, with the versions it
 * committed (the commit listener's rows). Every read is checked against the
 * versions acknowledged before it began: none may be older (a deleted post
 * must read as deleted). After a quiet period, every cache entry must equal
 * its row, or be absent (convergence).
 *
 * The positive control runs the same workload with the remedies off (the
 * testing entry: cache-aside invalidation, no leases, no tombstones, blind
 * writes, no outbox): the checker must catch stale reads, or it proves nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCacheStats,
  createEntries,
  createRedisStore,
  createWriteThroughCache,
  withCommitListener,
  type CommittedChange,
  type EntityId,
} from '../../src/index.js';
import { createEntityLoader, createRedisStore as createTestingRedisStore, withWriteThrough } from '../../src/testing.js';
import { aggregate, connectRedis, createDatabase, entityMetadata, newNamespace, type PrismaClient, type TestDatabase } from './support.js';

let database: TestDatabase;
let admin: Redis;

beforeAll(async () => {
  database = await createDatabase();
  admin = await connectRedis();
});
afterAll(async () => {
  admin?.disconnect();
  await database?.close();
});

/** What a checked read sees: an entity with its version, or null (not found). */
type Read = { rev: number } | null;

/** One application instance: writes through `db`, reads through a new set of loaders per request. */
interface Instance {
  db: PrismaClient;
  loaders(): { Author: { load(id: EntityId): Promise<Read> }; Post: { load(id: EntityId): Promise<Read> } };
  /** One reconciler pass replaying every outbox row (none without the outbox). */
  repair(): Promise<void>;
  close(): Promise<void>;
}

/** An instance as an application builds it: `createWriteThroughCache`, every remedy on. */
async function protectedInstance(namespace: string, connectionName: string): Promise<Instance> {
  const prisma = database.client(6);
  const redis = await connectRedis(connectionName);
  const cache = createWriteThroughCache({
    entities: aggregate,
    schema: entityMetadata,
    store: (stats) => createRedisStore({ redis, stats }),
    db: prisma,
    namespace,
    leaseMs: 1000,
  });
  cache.reconciler.start();
  const db = cache.extend(prisma);
  return {
    db,
    loaders: () => cache.loaders(db),
    repair: async () => void (await cache.reconciler.runOnce({ replayAfterMs: 0 })),
    async close() {
      await cache.reconciler.stop();
      await cache.outbox.close();
      redis.disconnect();
    },
  };
}

/** The same instance with the remedies off (the testing entry): a plain cache-aside cache. */
async function unprotectedInstance(namespace: string, connectionName: string): Promise<Instance> {
  const prisma = database.client(6);
  const redis = await connectRedis(connectionName);
  const stats = createCacheStats();
  const store = createTestingRedisStore({ redis, stats, compareAndSet: false });
  const db = withWriteThrough(prisma, {
    entities: aggregate,
    schema: entityMetadata,
    store,
    stats,
    namespace,
    outbox: null,
    publish: 'invalidate',
    remedies: { leases: false, tombstones: false },
  });
  const common = { schema: entityMetadata, db: prisma, store, stats, namespace };
  return {
    db,
    loaders: () => ({
      Author: createEntityLoader({ ...common, name: 'Author', entity: aggregate.Author }),
      Post: createEntityLoader({ ...common, name: 'Post', entity: aggregate.Post }),
    }),
    repair: async () => {},
    close: async () => redis.disconnect(),
  };
}

interface Report {
  /** Writes acknowledged, and refused or failed (a killed connection during a lease, a conflict). */
  writes: number;
  failedWrites: number;
  reads: number;
  /** Reads of an entity with a version acknowledged before they began (what the check has a floor for). */
  checked: number;
  stale: { key: string; read: number | 'deleted'; acknowledged: number | 'deleted' }[];
  faults: number;
  /** Entries that differ from their row after the quiet period. */
  divergent: string[];
}

const DELETED = Number.POSITIVE_INFINITY;
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** Kills every Redis connection named `name` (only the run's own: the server may be shared). */
async function killConnections(name: string): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /^id=(\d+)/.exec(line)![1]!);
  for (const id of ids) await admin.client('KILL', 'ID', id).catch(() => {});
  return ids.length;
}

async function consistencyRun(
  make: typeof protectedInstance,
  {
    durationMs,
    minWrites,
    converge,
    writers = 6,
    readers = 6,
  }: { durationMs: number; minWrites: number; converge: boolean; writers?: number; readers?: number },
): Promise<Report> {
  const namespace = newNamespace();
  const connectionName = `pwt-check-${randomBytes(4).toString('hex')}`;
  const instances = [await make(namespace, connectionName), await make(namespace, connectionName)];
  const raw = database.client(2);
  // The data: a few authors and posts, so that writers and readers meet on the same entries.
  const handles = ['ada', 'grace', 'edsger'].map((h) => `${h}-${connectionName}`);
  const authors = await Promise.all(handles.map((handle) => raw.author.create({ data: { handle, name: handle } })));
  const posts: number[] = [];
  for (let i = 0; i < 6; i++) {
    const post = await raw.post.create({
      data: { authorId: pick(authors).id, title: `Post ${i}`, comments: { create: [{ authorId: pick(authors).id, body: 'first' }] } },
    });
    posts.push(post.id);
  }
  const live = new Set(posts);

  /** The highest version acknowledged per entity (`Post:1`, `Author:ada`); DELETED once a delete was. */
  const acknowledged = new Map<string, number>();
  /**
   * What a returned write committed: each changed entity's row as it committed
   * (null: deleted). Without a row (cache-aside invalidation reads nothing
   * back), the version the operation returned for it, if it returned its root
   * row; else nothing is known, and nothing acknowledged.
   */
  const acknowledge = (changes: readonly CommittedChange[], result: unknown) => {
    for (const { entity, id, row } of changes) {
      const returned = result as { id?: EntityId; handle?: EntityId; rev?: number } | null;
      const own = returned?.[entity === 'Author' ? 'handle' : 'id'] === id ? returned : undefined;
      const version = row === null ? DELETED : Number((row ?? own)?.rev);
      if (Number.isNaN(version)) continue;
      const key = `${entity}:${id}`;
      if (version > (acknowledged.get(key) ?? 0)) acknowledged.set(key, version);
    }
  };
  const report: Report = { writes: 0, failedWrites: 0, reads: 0, checked: 0, stale: [], faults: 0, divergent: [] };
  // `durationMs`, and longer on a busy machine until `minWrites` writes were acknowledged (at most 3 times as long).
  const started = Date.now();
  const running = () => Date.now() < started + durationMs || (report.writes < minWrites && Date.now() < started + 3 * durationMs);

  /** One write of a random kind on a random entity, through a random instance; acknowledged once it returns. */
  async function write(db: PrismaClient) {
    const post = pick([...live]);
    const author = pick(authors);
    const ops = [
      () => db.post.update({ where: { id: post }, data: { likes: { increment: 1 } } }),
      () => db.comment.create({ data: { postId: post, authorId: author.id, body: `at ${Date.now()}` } }),
      () => db.comment.updateMany({ where: { postId: post }, data: { body: `edited at ${Date.now()}` } }),
      () =>
        db.$transaction(async (tx) => {
          const oldest = await tx.comment.findFirst({ where: { postId: post }, orderBy: { seq: 'asc' } });
          if (oldest) await tx.comment.delete({ where: { uuid: oldest.uuid } });
        }),
      () => db.author.update({ where: { handle: author.handle }, data: { name: `renamed at ${Date.now()}` } }),
      () => {
        if (live.size <= 3 || Math.random() > 0.05) return db.post.update({ where: { id: post }, data: { title: `retitled at ${Date.now()}` } });
        live.delete(post); // nobody writes it any more; readers still read it
        return db.post.delete({ where: { id: post } });
      },
    ];
    let committed: readonly CommittedChange[] = [];
    try {
      const result = await withCommitListener(
        (changes) => (committed = changes),
        () => pick(ops)(),
      );
      acknowledge(committed, result);
      report.writes++;
    } catch {
      report.failedWrites++; // not acknowledged: nothing to check against
    }
  }

  /** One request: a new set of loaders, a few posts and an author read at once, each checked. */
  async function read(instance: Instance) {
    const keys: ['Post' | 'Author', EntityId][] = [...new Set([pick(posts), pick(posts), pick(posts)])].map((id) => ['Post', id]);
    keys.push(['Author', pick(handles)]);
    const before = new Map(acknowledged);
    const loaders = instance.loaders();
    const results = await Promise.all(keys.map(([entity, id]) => loaders[entity].load(id)));
    keys.forEach(([entity, id], i) => {
      const key = `${entity}:${id}`;
      const seen = results[i] === null ? DELETED : Number(results[i]!.rev);
      const floor = before.get(key) ?? 0;
      if (floor > 0) report.checked++;
      if (seen < floor) report.stale.push({ key, read: seen === DELETED ? 'deleted' : seen, acknowledged: floor === DELETED ? 'deleted' : floor });
      report.reads++;
    });
  }

  const loop = async (step: () => Promise<void>) => {
    while (running()) await step();
  };
  const faults = loop(async () => {
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 300));
    if (running()) report.faults += await killConnections(connectionName);
  });
  await Promise.all([
    ...Array.from({ length: writers }, (_, i) => loop(() => write(instances[i % 2]!.db))),
    ...Array.from({ length: readers }, (_, i) => loop(() => read(instances[i % 2]!))),
    faults,
  ]);

  if (converge) report.divergent = await divergence(instances, namespace, posts, handles);
  await Promise.all(instances.map((instance) => instance.close()));
  return report;
}

/**
 * After the load, in quiet: the entries that differ from their rows (a value
 * of another version or content, a tombstone of a live row, a value of a
 * deleted one), waiting for them to converge for up to 10 s. Leases of
 * publishes that failed expire (1 s); the reconcilers replay the outbox.
 */
async function divergence(instances: Instance[], namespace: string, posts: number[], handles: string[]): Promise<string[]> {
  const raw = database.client(1);
  const entries = createEntries({ entities: aggregate, schema: entityMetadata, namespace });
  const store = createRedisStore({ redis: await connectRedis(), stats: createCacheStats() });
  const keyed = [...posts.map((id) => ['Post', id] as const), ...handles.map((handle) => ['Author', handle] as const)];
  let divergent: string[] = [];
  for (let attempt = 0; ; attempt++) {
    await Promise.all(instances.map((instance) => instance.repair()));
    const hits = await store.read(keyed.map(([entity, id]) => entries.keyOf(entity, id)));
    const rows = [...(await aggregate.Post.load(raw, posts)), ...(await aggregate.Author.load(raw, handles))];
    divergent = keyed.flatMap(([entity, id], i) => {
      const row = rows.find((r) => (entity === 'Post' ? 'title' in r && r.id === id : 'handle' in r && r.handle === id));
      const hit = hits[i];
      if (hit === undefined) return [];
      if (!row) return hit.kind === 'tombstone' ? [] : [`${entity}:${id}: cached at ${hit.version}, deleted in the database`];
      const expected = entries.value(entity, id, row);
      return hit.kind === 'value' && hit.version === expected.version && hit.json === expected.json
        ? []
        : [`${entity}:${id}: cached ${hit.kind} at ${hit.version}, row at ${expected.version}`];
    });
    if (divergent.length === 0 || attempt >= 40) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await store.close();
  return divergent;
}

describe('consistency under concurrent writers and readers on two instances, with Redis connections killed', () => {
  it('no read older than a write acknowledged before it began, and every entry converges to its row', async () => {
    const report = await consistencyRun(protectedInstance, { durationMs: 3000, minWrites: 60, converge: true });
    console.log('consistency run:', JSON.stringify({ ...report, stale: report.stale.length }));
    expect(report.writes).toBeGreaterThanOrEqual(60);
    expect(report.checked).toBeGreaterThan(100);
    expect(report.faults).toBeGreaterThan(0);
    expect(report.stale).toEqual([]);
    expect(report.divergent).toEqual([]);
  });

  it('positive control: with the remedies off, the checker catches stale reads', async () => {
    const report = await consistencyRun(unprotectedInstance, { durationMs: 2000, minWrites: 60, converge: false });
    console.log('control run:', JSON.stringify({ ...report, stale: report.stale.length, example: report.stale[0] }));
    expect(report.stale.length).toBeGreaterThan(0);
  });
});
