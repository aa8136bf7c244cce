/**
 * resolveSchema: the cached entities checked against the generated entity
 * metadata, and their delete cascades derived from the schema's onDelete
 * actions (never declared by hand), on the storefront's schema and on the
 * package's own blog schema, including the cases the core refuses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSchema, type CachedEntity, type EntityMetadata } from '../src/index.js';
import { buildEntityMetadata } from '../src/generator/index.js';
import { entityMetadata as storefront } from '../../../src/generated/entities.js';
import { blogSchema, dmmfOf, optionsOf } from './support.js';

const load = async () => [];
const entity = (model: string, more: Partial<CachedEntity> = {}): CachedEntity => ({ model, load, ...more });

describe('on the storefront schema', () => {
  const entities = { User: entity('User'), Product: entity('Product'), Cart: entity('Cart', { idField: 'userId', members: { CartItem: 'cartId' } }) };

  it('derives both cascades into carts: a user delete deletes the cart, a product delete deletes cart items', () => {
    const { cascades, models } = resolveSchema(entities, storefront as EntityMetadata);
    expect(cascades.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      { from: 'Product', entity: 'Cart', model: 'CartItem', field: 'productId' },
      { from: 'User', entity: 'Cart', model: 'Cart', field: 'userId' },
    ]);
    expect(models.Cart).toMatchObject({ table: 'Cart', idField: 'userId', idColumn: 'userId' });
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
    expect(resolveSchema({ Author: entity('Author') }, meta)).toMatchObject({ cascades: [], models: { Author: { table: 'authors', idField: 'id', idColumn: 'author_id' } } });
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
      { from: 'Author', entity: 'Post', model: 'Comment', field: 'authorId' },
      { from: 'Author', entity: 'Post', model: 'Post', field: 'authorId' },
    ]);
  });

  it('refuses a cascade of more than one step that does not go through the entity root', () => {
    expect(() => resolveSchema({ Comment: entity('Comment', { idField: 'uuid' }) }, only((p) => p.action === 'delete' && !p.cyclic))).toThrow(
      /^Comment: a delete of Author reaches its Comment rows in 2 steps \(Author -> Post.authorId \(Cascade\) -> Comment.postId \(Cascade\)\)/,
    );
  });

  it('refuses a model without a version field', () => {
    expect(() => resolveSchema({ Tag: entity('Tag') }, meta)).toThrow(/Tag: model Tag needs an Int field named "version"/);
  });
});
