/**
 * Change capture on the cached-blog schema: writes that bypass the extension
 * (SQL from another client) reach the cache through the capture trigger
 * (sql/change-capture.sql, installed by `captureTriggers` on the mapped
 * tables), which raises the version column whatever its name (`row_version`
 * here) and records the change for the reconciler, for roots keyed by a
 * unique that is not their @id (an author's handle) and for members (a
 * comment raises its post's version).
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureTriggers, changeCaptureSql, createRedisStore, createWriteThroughCache, type WriteThroughCache } from '../../src/index.js';
import { aggregate, connectRedis, createDatabase, entityMetadata, newNamespace, type PrismaClient, type TestDatabase } from './support.js';

let database: TestDatabase;
let raw: PrismaClient;
let redis: Redis;
let cache: WriteThroughCache<typeof aggregate>;

beforeAll(async () => {
  database = await createDatabase();
  raw = database.client();
  redis = await connectRedis();
  cache = createWriteThroughCache({
    entities: aggregate,
    schema: entityMetadata,
    store: (stats) => createRedisStore({ redis, stats }),
    db: raw,
    namespace: newNamespace(),
  });
});
afterAll(async () => {
  redis?.disconnect();
  await database?.close();
});

/** An author with a post, written through the extension, both read once (so cached). */
async function cachedAuthorAndPost(handle: string) {
  const db = cache.extend(raw);
  const author = await db.author.create({ data: { handle, name: 'Ada' } });
  const post = await db.post.create({ data: { authorId: author.id, title: 'Draft' } });
  const loaders = cache.loaders(db);
  await Promise.all([loaders.Author.load(handle), loaders.Post.load(post.id)]);
  return { author, post };
}

/** Writes from another client, as psql would; then one reconciler pass (what the change listener's wake runs). */
async function outOfBand(author: { id: number; handle: string }, post: { id: number }) {
  await database.sql(`
    UPDATE authors SET name = 'Ada L.' WHERE author_id = ${author.id};
    UPDATE posts SET title = 'Edited in psql' WHERE post_id = ${post.id};
    INSERT INTO comments (uuid, post_id, author_id, body) VALUES (gen_random_uuid(), ${post.id}, ${author.id}, 'From psql');`);
  await cache.reconciler.runOnce();
  const loaders = cache.loaders(raw);
  return { author: await loaders.Author.load(author.handle), post: await loaders.Post.load(post.id), stats: { ...cache.stats } };
}

describe('writes outside the extension', () => {
  it('with the capture triggers: versions raised in row_version, and the cache serves the new rows once the reconciler ran', async () => {
    await database.sql(`${changeCaptureSql()}\n${captureTriggers(aggregate, entityMetadata).join('\n')}`);
    const { author, post } = await cachedAuthorAndPost('ada');
    const hitsBefore = cache.stats.hits;
    const after = await outOfBand(author, post);
    expect(after.author).toMatchObject({ handle: 'ada', name: 'Ada L.', rev: 2 });
    // Raised once in the transaction, by the UPDATE (the comment's trigger does not raise a root row the transaction already wrote).
    expect(after.post).toMatchObject({ title: 'Edited in psql', rev: 2, comments: [{ body: 'From psql' }] });
    expect(after.stats.hits - hitsBefore).toBe(2); // from the cache, not the database
    expect(await raw.post.findUniqueOrThrow({ where: { id: post.id } })).toMatchObject({ rev: 2 });
  });

  it('without them, the cache keeps serving the old rows (the race shows)', async () => {
    await database.sql(
      'DROP TRIGGER authors_write_through_capture ON authors; DROP TRIGGER posts_write_through_capture ON posts; DROP TRIGGER comments_write_through_capture ON comments;',
    );
    const { author, post } = await cachedAuthorAndPost('grace');
    const after = await outOfBand(author, post);
    expect(after.author).toMatchObject({ handle: 'grace', name: 'Ada', rev: 1 });
    expect(after.post).toMatchObject({ title: 'Draft', rev: 1, comments: [] });
  });
});
