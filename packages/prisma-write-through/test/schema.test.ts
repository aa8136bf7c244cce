/**
 * resolveSchema: the cached entities checked against the generated entity
 * metadata, and their delete cascades derived from the schema's onDelete
 * actions (never declared by hand), on the storefront's schema and on the
 * package's own blog schema, including the cases the core refuses.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSchema, type CachedEntity, type EntityMetadata } from '../src/index.js';
import { buildEntityMetadata } from '../src/generator/index.js';
import { entityMetadata as storefront } from '../../../src/generated/entities.js';
import { blogSchema, dmmfOf, optionsOf, packageDir } from './support.js';

const load = async () => [];
const entity = (model: string, more: Partial<CachedEntity> = {}): CachedEntity => ({ model, load, ...more });

describe('on the storefront schema', () => {
  const entities = { User: entity('User'), Product: entity('Product'), Cart: entity('Cart', { idField: 'userId', members: { CartItem: 'cartId' } }) };

  it('derives both cascades into carts: a user delete deletes the cart, a product delete deletes cart items', () => {
    const { cascades, models } = resolveSchema(entities, storefront as EntityMetadata);
    expect(cascades.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      { from: 'Product', entity: 'Cart', model: 'CartItem', field: 'productId', references: 'id', referencesColumn: 'id' },
      { from: 'User', entity: 'Cart', model: 'Cart', field: 'userId', references: 'id', referencesColumn: 'id' },
    ]);
    expect(models.Cart).toMatchObject({ table: 'Cart', idField: 'userId', idColumn: 'userId', versionField: 'version' });
    expect(models.CartItem!.fields).toContainEqual({ name: 'product', kind: 'object', type: 'Product' });
  });

  it('refuses an idField that is not the model id, a missing model, and a member field that does not exist', () => {
    expect(() => resolveSchema({ ...entities, Cart: entity('Cart', { members: { CartItem: 'cartId' } }) }, storefront as EntityMetadata)).toThrow(
      'Cart: idField is "id", but the id of Cart is "userId"; set idField to it',
    );
    expect(() => resolveSchema({ Thing: entity('Thing') }, storefront as EntityMetadata)).toThrow('Thing: model Thing is not in the schema');
    expect(() => resolveSchema({ Cart: entity('Cart', { idField: 'userId', members: { CartItem: 'basketId' } }) }, storefront as EntityMetadata)).toThrow(
      'Cart: member CartItem has no field "basketId"',
    );
  });

  it('refuses a cascade from a member model into another entity (deletes of members are not followed)', () => {
    // A user with their cart as a member; a product with the cart items that hold it as members.
    const aggregates = { User: entity('User', { members: { Cart: 'userId' } }), Product: entity('Product', { members: { CartItem: 'productId' } }) };
    expect(() => resolveSchema(aggregates, storefront as EntityMetadata)).toThrow(
      'Product: a delete of Cart rows, members of User, reaches its CartItem rows (Cart -> CartItem.cartId (Cascade)); the write-through follows the deletes of roots and of uncached models only',
    );
  });
});

describe('on the blog schema (mapped tables and columns, SetNull, SetDefault, a unique as id)', () => {
  let meta: EntityMetadata;
  beforeAll(async () => {
    meta = buildEntityMetadata((await dmmfOf(blogSchema)).datamodel, await optionsOf(blogSchema, 'entities'));
  });

  /** The metadata with only the cascade paths `keep` keeps. */
  const only = (keep: (path: EntityMetadata['cascades'][string]['paths'][number]) => boolean): EntityMetadata => ({
    ...meta,
    cascades: Object.fromEntries(Object.entries(meta.cascades).map(([from, c]) => [from, { ...c, paths: c.paths.filter(keep) }])),
  });

  it('uses mapped table and column names', () => {
    expect(resolveSchema({ Author: entity('Author') }, meta)).toMatchObject({
      cascades: [],
      models: { Author: { table: 'authors', idField: 'id', idColumn: 'author_id' } },
    });
  });

  it('a post with its comments: refuses an author delete that nulls Post.editorId (a root row changed in place), naming the path', () => {
    expect(() => resolveSchema({ Post: entity('Post', { members: { Comment: 'postId' } }) }, meta)).toThrow(
      'Post: a delete of Author changes Post rows in place (Author -> Post.editorId (SetNull)); not supported on a root row yet',
    );
  });

  it('without the in-place and self cascades: an author delete deletes posts (root) and nulls comments (member), and through a post is covered', () => {
    const followed = only((p) => !(p.model === 'Post' && p.action !== 'delete') && !p.cyclic);
    const { cascades } = resolveSchema({ Post: entity('Post', { members: { Comment: 'postId' } }) }, followed);
    expect(cascades.sort((a, b) => a.model.localeCompare(b.model))).toEqual([
      { from: 'Author', entity: 'Post', model: 'Comment', field: 'authorId', references: 'id', referencesColumn: 'author_id' },
      { from: 'Author', entity: 'Post', model: 'Post', field: 'authorId', references: 'id', referencesColumn: 'author_id' },
    ]);
  });

  it('refuses a cascade of more than one step that does not go through the entity root', () => {
    expect(() =>
      resolveSchema(
        { Comment: entity('Comment', { idField: 'uuid' }) },
        only((p) => p.action === 'delete' && !p.cyclic),
      ),
    ).toThrow(/^Comment: a delete of Author reaches its Comment rows in 2 steps \(Author -> Post.authorId \(Cascade\) -> Comment.postId \(Cascade\)\)/);
  });

  it('refuses a model without a version field, naming the field and the setting', () => {
    expect(() => resolveSchema({ Tag: entity('Tag') }, meta)).toThrow(
      'Tag: model Tag has no version field (Tag is not cacheable: no version field version): add a required Int field "version", or set the generator\'s versionField',
    );
  });

  it('keys an entity by the unique named in idFields, and says how to key by another unique', () => {
    expect(
      resolveSchema(
        { Comment: entity('Comment', { idField: 'uuid' }) },
        only(() => false),
      ).models.Comment,
    ).toMatchObject({ idField: 'uuid', idColumn: 'comment_uuid' });
    expect(() => resolveSchema({ Author: entity('Author', { idField: 'email' }) }, meta)).toThrow(
      'Author: idField is "email", but the id of Author is "id"; set idField to it, or key the cache by email: idFields = ["Author.email"] in the generator block',
    );
  });
});

describe('on the cached-blog schema (a version field named rev, ids that are a unique other than the @id)', () => {
  let meta: EntityMetadata;
  beforeAll(async () => {
    const schema = path.join(packageDir, 'test', 'fixtures', 'cached-blog.prisma');
    meta = buildEntityMetadata((await dmmfOf(schema)).datamodel, await optionsOf(schema, 'entities'));
  });

  it('takes the version field and the ids from the metadata, and the cascades with the field their foreign key references', () => {
    const { models, cascades } = resolveSchema(
      { Author: entity('Author', { idField: 'handle' }), Post: entity('Post', { members: { Comment: 'postId' } }) },
      meta,
    );
    expect(models.Author).toMatchObject({ table: 'authors', idField: 'handle', idColumn: 'handle', versionField: 'rev' });
    expect(models.Comment).toMatchObject({ idField: 'uuid', versionField: 'rev' });
    // Comments point at the author's @id (author_id), not at the handle the cache keys authors by.
    expect(cascades).toEqual([{ from: 'Author', entity: 'Post', model: 'Comment', field: 'authorId', references: 'id', referencesColumn: 'author_id' }]);
  });

  it('refuses an entity keyed by the @id when the metadata keys its model by a unique (idFields)', () => {
    expect(() => resolveSchema({ Author: entity('Author') }, meta)).toThrow('Author: idField is "id", but the id of Author is "handle"; set idField to it');
  });

  it('refuses ids that are not Int or String fields', () => {
    const author = meta.models.Author!;
    const bigintIds = { ...meta, models: { ...meta.models, Author: { ...author, idField: { ...author.idField!, type: 'BigInt' } } } };
    expect(() => resolveSchema({ Author: entity('Author', { idField: 'handle' }) }, bigintIds)).toThrow(
      'Author: its id field Author.handle is BigInt; cache ids are Int or String fields',
    );
  });

  it('refuses a row entity that omits its id or its version field', () => {
    expect(() => resolveSchema({ Post: entity('Post', { row: { omit: ['rev'] } }) }, meta)).toThrow(
      'Post: row.omit leaves out rev, which every cache entry needs',
    );
  });

  it('refuses members that point at another field of the root than its id', () => {
    expect(() => resolveSchema({ Author: entity('Author', { idField: 'handle', members: { Comment: 'authorId' } }) }, meta)).toThrow(
      "Author: member Comment.authorId references Author.id, not its id field handle: a member must hold its root's id",
    );
  });

  it('refuses a model without the configured version field, naming it', () => {
    const post = { ...meta.models.Post!, versionField: null, notCacheableReason: 'Post is not cacheable: no version field rev' };
    expect(() => resolveSchema({ Post: entity('Post') }, { ...meta, models: { ...meta.models, Post: post } })).toThrow(
      'Post: model Post has no version field (Post is not cacheable: no version field rev): add a required Int field "rev"',
    );
  });
});
