/**
 * The write-through's races on the cached-blog schema (a version field named
 * `rev`, ids that are a unique field other than the @id), made deterministic
 * with the testing entry's pause points, on real PostgreSQL and Redis. Each
 * runs with its remedy on, where the cache must stay right, and off, where the
 * race must show, proving the remedy is what closes it.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCacheStats,
  createEntries,
  createOutbox,
  createWriteThroughCache,
  withCommitListener,
  type CachedEntity,
  type CommittedChange,
  type EntityMetadata,
  type WriteThroughCache,
} from '../../src/index.js';
import {
  createEntityLoader,
  createRedisStore,
  once,
  pausePoint,
  withWriteThrough,
  type PausePoint,
  type WriteThroughTestingOptions,
} from '../../src/testing.js';
import type { Comment, Post } from '../generated/cached-blog/prisma/client.js';
import { aggregate, connectRedis, createDatabase, entityMetadata, newNamespace, separate, type PrismaClient, type TestDatabase } from './support.js';

let database: TestDatabase;
let raw: PrismaClient;
let redis: Redis;
const namespace = newNamespace();
let seq = 0;

beforeAll(async () => {
  database = await createDatabase();
  raw = database.client();
  redis = await connectRedis();
  // A check PostgreSQL makes at COMMIT (a deferred constraint trigger): a post titled so is refused then.
  await database.sql(`
    CREATE FUNCTION reject_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.title = 'rejected at COMMIT' THEN RAISE EXCEPTION 'title rejected at COMMIT' USING ERRCODE = 'check_violation'; END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER posts_checked_at_commit AFTER INSERT OR UPDATE ON posts
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reject_at_commit();`);
});
afterAll(async () => {
  redis?.disconnect();
  await database?.close();
});

type Entities = typeof aggregate | typeof separate;

interface Remedies {
  leases?: boolean;
  tombstones?: boolean;
  publishAfterCommit?: boolean;
}

const storeFor = () => createRedisStore({ redis, stats: createCacheStats() });

/** A write-through client on the database (no outbox: nothing here replays), with the given remedies and hooks. */
function writer(entities: Entities, remedies: Remedies = {}, extra: Partial<WriteThroughTestingOptions> = {}): PrismaClient {
  return withWriteThrough(raw, {
    entities,
    schema: entityMetadata,
    store: storeFor(),
    stats: createCacheStats(),
    namespace,
    outbox: null,
    leaseMs: 300,
    remedies,
    ...extra,
  });
}

/** A loader of one entity, as one request would make it; its misses pause after the database read when `pause` is given. */
function loader<E extends Entities>(entities: E, name: keyof E & string, pause?: PausePoint) {
  const entity = entities[name] as CachedEntity<PrismaClient, object>;
  return createEntityLoader({
    name,
    entity,
    schema: entityMetadata,
    db: raw,
    store: storeFor(),
    stats: createCacheStats(),
    namespace,
    ...(pause && { hooks: { afterDatabaseRead: once(() => pause.wait()) } }),
  });
}

/** What the cache holds for an entity: its version and value, a tombstone, or undefined. */
async function cached(entities: Entities, name: string, id: number | string) {
  const [hit] = await storeFor().read([createEntries({ entities, schema: entityMetadata, namespace }).keyOf(name, id)]);
  return hit?.kind === 'value' ? { version: hit.version, value: JSON.parse(hit.json) } : hit;
}

/** Rows inserted directly (no cache entry), so each race starts clean. */
async function newAuthor() {
  return raw.author.create({ data: { handle: `author-${++seq}`, name: `Author ${seq}` } });
}
async function newPost(authorId?: number) {
  return raw.post.create({ data: { authorId: authorId ?? (await newAuthor()).id, title: `Post ${++seq}` } });
}
async function newComment(post: { id: number; authorId: number }, authorId = post.authorId) {
  return raw.comment.create({ data: { postId: post.id, authorId, body: `Comment ${++seq}` } });
}

describe('fill during a write in flight: a comment is added (the post, with its comments, is one entry) and committed but not yet published; a read fills the post without it', () => {
  async function race(remedies: Remedies) {
    const post = await newPost();
    const readPaused = pausePoint();
    const reading = loader(aggregate, 'Post', readPaused).load(post.id);
    await readPaused.reached; // the read has rev 1, no comments
    const publishPaused = pausePoint();
    const writing = writer(aggregate, remedies, { hooks: { afterCommit: once(() => publishPaused.wait()) } })
      .comment.create({ data: { postId: post.id, authorId: post.authorId, body: 'first!' } })
      .then((row) => row);
    await publishPaused.reached; // rev 2 committed, cache not yet written
    readPaused.open();
    expect(await reading).toMatchObject({ rev: 1, comments: [] }); // it began before the write: a fine answer for it
    const during = await loader(aggregate, 'Post').load(post.id); // a read that starts now, while the write is in flight
    publishPaused.open();
    await writing;
    return { during, after: await cached(aggregate, 'Post', post.id) };
  }

  it('with leases, the fill is refused: reads go to the database and see rev 2, with the comment', async () => {
    const { during, after } = await race({});
    expect(during).toMatchObject({ rev: 2, comments: [{ body: 'first!', rev: '1' }] });
    expect(after).toMatchObject({ version: 2, value: { rev: 2, comments: [{ body: 'first!' }] } });
  });

  it('without leases, the fill stores rev 1 and a read that starts after COMMIT sees the post without its comment (the race shows)', async () => {
    const { during } = await race({ leases: false });
    expect(during).toMatchObject({ rev: 1, comments: [] });
  });
});

describe('delete then late fill: a read has a comment (keyed by its uuid), the comment is deleted, then the read fills it', () => {
  async function race(remedies: Remedies) {
    const comment = await newComment(await newPost());
    const readPaused = pausePoint();
    const reading = loader(separate, 'Comment', readPaused).load(comment.uuid);
    await readPaused.reached;
    await writer(separate, remedies).comment.delete({ where: { uuid: comment.uuid } });
    readPaused.open();
    expect(await reading).toMatchObject({ uuid: comment.uuid, rev: '1' });
    return { read: await loader(separate, 'Comment').load(comment.uuid), entry: await cached(separate, 'Comment', comment.uuid) };
  }

  it('with tombstones, the comment stays deleted', async () => {
    const { read, entry } = await race({});
    expect(read).toBeNull();
    expect(entry).toMatchObject({ kind: 'tombstone' });
  });

  it('without tombstones, the deleted comment comes back (the race shows)', async () => {
    const { read } = await race({ tombstones: false });
    expect(read).toMatchObject({ rev: '1' });
  });
});

describe('rollback: COMMIT fails (a deferred check) after the transaction read its changes back and leased their keys', () => {
  async function race(remedies: Remedies) {
    const post = await newPost();
    await loader(aggregate, 'Post').load(post.id); // rev 1 is cached
    const before = await cached(aggregate, 'Post', post.id);
    const failing = writer(aggregate, remedies).$transaction(async (tx) => {
      await tx.post.update({ where: { id: post.id }, data: { title: 'rejected at COMMIT' } });
      await tx.comment.create({ data: { postId: post.id, authorId: post.authorId, body: 'never committed' } });
    });
    await expect(failing).rejects.toThrow(/title rejected at COMMIT/);
    const row = await raw.post.findUniqueOrThrow({ where: { id: post.id }, include: { comments: true } });
    expect(row).toMatchObject({ rev: 1, title: post.title, comments: [] });
    return { before, after: await cached(aggregate, 'Post', post.id), read: await loader(aggregate, 'Post').load(post.id) };
  }

  it('published only after COMMIT: the cache keeps rev 1 as it was, and reads hit it', async () => {
    const { before, after, read } = await race({});
    expect(after).toEqual(before);
    expect(read).toEqual(before && 'value' in before ? before.value : undefined);
  });

  it('a transaction that throws before COMMIT touches no entry either', async () => {
    const post = await newPost();
    await loader(aggregate, 'Post').load(post.id);
    const before = await cached(aggregate, 'Post', post.id);
    const thrown = writer(aggregate).$transaction(async (tx) => {
      await tx.comment.create({ data: { postId: post.id, authorId: post.authorId, body: 'rolled back' } });
      throw new Error('changed my mind');
    });
    await expect(thrown).rejects.toThrow('changed my mind');
    expect(await cached(aggregate, 'Post', post.id)).toEqual(before);
  });

  it('published before COMMIT (as a cache written inside the transaction would be): what never committed is served (the race shows)', async () => {
    const { after, read } = await race({ publishAfterCommit: false });
    expect(after).toMatchObject({ version: 2, value: { title: 'rejected at COMMIT', comments: [{ body: 'never committed' }] } });
    expect(read).toMatchObject({ rev: 2, title: 'rejected at COMMIT' });
  });
});

/** The metadata without the cascade paths of deletes of `from`: the write-through then knows of none. */
function withoutCascadesFrom(from: keyof typeof entityMetadata.cascades): EntityMetadata {
  return { ...entityMetadata, cascades: { ...entityMetadata.cascades, [from]: { ...entityMetadata.cascades[from], paths: [] } } };
}

describe('cascades derived from the schema: deleting a row deletes the rows whose foreign key points at it (onDelete: Cascade)', () => {
  /** The public entry point, as an application uses it; `derived: false` hides the cascades of deletes of `from`. */
  function cacheOf<E extends Entities>(entities: E, from: keyof typeof entityMetadata.cascades, derived: boolean) {
    return createWriteThroughCache({
      entities,
      schema: derived ? entityMetadata : withoutCascadesFrom(from),
      store: (stats) => createRedisStore({ redis, stats }),
      db: raw,
      outbox: createOutbox(raw),
      namespace,
    });
  }

  async function postDelete(derived: boolean) {
    const post = await newPost();
    const comments = [await newComment(post), await newComment(post)];
    const cache = cacheOf(separate, 'Post', derived);
    const ids = comments.map((c) => c.uuid);
    await cache.loaders(raw).Comment.loadMany(ids); // both cached
    await cache.extend(raw).post.delete({ where: { id: post.id } });
    return { reads: await cache.loaders(raw).Comment.loadMany(ids), entries: await Promise.all(ids.map((id) => cached(separate, 'Comment', id))) };
  }

  it("deleting a post tombstones its comments' entries (Comment.post)", async () => {
    const { reads, entries } = await postDelete(true);
    expect(reads).toEqual([null, null]);
    expect(entries).toMatchObject([{ kind: 'tombstone' }, { kind: 'tombstone' }]);
  });

  it('without the cascade, the deleted comments are still served (the race shows)', async () => {
    const { reads } = await postDelete(false);
    expect(reads).toMatchObject([{ rev: '1' }, { rev: '1' }]);
  });

  /**
   * Comments point at their author's @id; the metadata's id of Author is its
   * handle (idFields). The cascade reads what the foreign key references from
   * the deleted row: an author cached by handle (`aggregate`: the comments are
   * members of posts) or not cached at all (`separate`: comments are entities).
   */
  async function authorDelete<E extends Entities>(
    entities: E,
    derived: boolean,
    read: (cache: WriteThroughCache<E>, post: Post, comments: Comment[]) => Promise<unknown>,
  ) {
    const [post, commenter] = [await newPost(), await newAuthor()];
    const comments = [await newComment(post, commenter.id), await newComment(post)];
    const cache = cacheOf(entities, 'Author', derived);
    await read(cache, post, comments); // cached
    await cache.extend(raw).author.delete({ where: { handle: commenter.handle } });
    return { read: await read(cache, post, comments), kept: comments[1]! };
  }
  const postOf = (cache: WriteThroughCache<typeof aggregate>, post: Post) => cache.loaders(raw).Post.load(post.id);
  const commentsOf = (cache: WriteThroughCache<typeof separate>, _: Post, comments: Comment[]) =>
    cache.loaders(raw).Comment.loadMany(comments.map((c) => c.uuid));

  it('deleting an author cached by its handle removes their comments from the entries of the posts they are members of', async () => {
    const { read, kept } = await authorDelete(aggregate, true, postOf);
    expect(read).toMatchObject({ rev: 2, comments: [{ uuid: kept.uuid }] });
    expect((read as { comments: unknown[] }).comments).toHaveLength(1);
  });

  it("without the cascade, the post's entry keeps the deleted comment (the race shows)", async () => {
    const { read } = await authorDelete(aggregate, false, postOf);
    expect(read).toMatchObject({ rev: 1 });
    expect((read as { comments: unknown[] }).comments).toHaveLength(2);
  });

  it("deleting an author not cached (keyed by its handle in the metadata) tombstones their comments' entries", async () => {
    const { read, kept } = await authorDelete(separate, true, commentsOf);
    expect(read).toMatchObject([null, { uuid: kept.uuid }]);
  });

  it('without the cascade, the deleted comment is still served (the race shows)', async () => {
    const { read } = await authorDelete(separate, false, commentsOf);
    expect(read).toMatchObject([{ rev: '1' }, { rev: '1' }]);
  });
});

describe('withCommitListener', () => {
  it('hears the write of a lazy Prisma query that its function returns without awaiting it', async () => {
    const post = await newPost();
    let heard: readonly CommittedChange[] = [];
    const updated = await withCommitListener(
      (changes) => (heard = changes),
      () => writer(separate).post.update({ where: { id: post.id }, data: { likes: 7 } }),
    );
    expect(updated).toMatchObject({ rev: 2, likes: 7 });
    expect(heard).toMatchObject([{ entity: 'Post', id: post.id, row: { rev: 2, likes: 7 } }]);
  });
});
