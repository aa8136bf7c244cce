/**
 * The store contract (`storeContract` of prisma-write-through/testing) on
 * what the cached-blog schema's cache holds: the keys and entries
 * `createEntries` makes of its rows, as Prisma returns them. A comment, keyed
 * by its uuid and versioned by its BigInt `rev`; a post with its comments as
 * members, versioned by its Int `rev` (column `row_version`). On Redis (a
 * namespace of this file's own) and on the in-process store.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCacheStats, createEntries, type CacheStore, type EntityId } from '../../src/index.js';
import { createMemoryStore, createRedisStore, storeContract, type StoreContractEntries } from '../../src/testing.js';
import type { Comment, Post } from '../generated/cached-blog/prisma/client.js';
import { aggregate, connectRedis, entityMetadata, newNamespace, separate } from './support.js';

const namespace = newNamespace();
// A comment as `separate` caches it; a post as `aggregate` does, with its comments.
const entries = createEntries({ entities: { Comment: separate.Comment, Post: aggregate.Post }, schema: entityMetadata, namespace, ttlSeconds: 60 });

const comment = (uuid: string, postId: number, rev: number, body = 'first!'): Comment => ({ seq: 1, uuid, postId, authorId: 1, body, rev: BigInt(rev) });

/** Contract entries of one entity: fresh ids, and rows of that id at a version (variants differ in one field). */
function entriesOf(entity: 'Comment' | 'Post', newId: () => EntityId, row: (id: EntityId, version: number, variant: number) => object): StoreContractEntries {
  const ids = new Map<string, EntityId>();
  return {
    key: () => {
      const id = newId();
      const key = entries.keyOf(entity, id);
      ids.set(key, id);
      return key;
    },
    value: (key, version, variant = 0) => entries.value(entity, ids.get(key)!, row(ids.get(key)!, version, variant)),
  };
}

let postId = 0;
const kinds: [string, StoreContractEntries][] = [
  ['comments (uuid ids, BigInt rev)', entriesOf('Comment', randomUUID, (id, version, variant) => comment(String(id), 1, version, `variant ${variant}`))],
  [
    'posts with their comments (Int rev on row_version)',
    entriesOf(
      'Post',
      () => ++postId,
      (id, version, variant): Post & { comments: Comment[] } => ({
        id: Number(id),
        authorId: 1,
        title: `variant ${variant}`,
        likes: 0,
        rev: version,
        comments: [comment(`00000000-0000-4000-8000-${String(id).padStart(12, '0')}`, Number(id), 1)],
      }),
    ),
  ],
];

let redis: Redis;
beforeAll(async () => {
  redis = await connectRedis();
});
afterAll(() => redis?.disconnect());

const stores: [string, (options?: { compareAndSet?: boolean }) => CacheStore][] = [
  ['redis', (options) => createRedisStore({ redis, stats: createCacheStats(), ...options })],
  ['memory', (options) => createMemoryStore({ stats: createCacheStats(), ...options })],
];

describe.each(stores)('%s store', (_, make) => {
  describe.each(kinds)('with %s', (_kind, kindEntries) => {
    for (const { name, run } of storeContract({ make, entries: kindEntries })) it(name, run);
  });
});

describe('the entries of this schema', () => {
  it('are versioned by the configured version field, whatever its name and type, and hold BigInts as decimal strings', () => {
    const uuid = randomUUID();
    const entry = entries.value('Comment', uuid, comment(uuid, 3, 7));
    expect(entry).toMatchObject({ key: `${namespace}Comment:${uuid}`, version: 7, shape: entries.shapeOf('Comment') });
    expect(JSON.parse(entry.json!)).toEqual({ seq: 1, uuid, postId: 3, authorId: 1, body: 'first!', rev: '7' });
    const post = entries.value('Post', 3, { id: 3, authorId: 1, title: 't', likes: 0, rev: 12, comments: [] });
    expect(post).toMatchObject({ key: `${namespace}Post:3`, version: 12 });
  });

  it('refuse a row without its version (a load that does not read it)', () => {
    expect(() => entries.value('Post', 3, { id: 3, version: 2 })).toThrow(
      'Post 3: its row has no integer version in rev (got undefined); its load must return that field',
    );
    expect(() => entries.value('Comment', 'x', { uuid: 'x', rev: 2n ** 60n })).toThrow(/no integer version in rev/);
  });
});
