/**
 * The generator's pure part on the package's own schema (fixtures/blog.prisma):
 * `@map`-ped ids and tables, a model identified by a unique (configured in
 * the block's idFields), a model without a version field, a composite key,
 * every referential action (explicit and Prisma's defaults), a self-relation
 * cascade and an implicit many-to-many.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type * as DMMF from '@prisma/dmmf';
import {
  buildEntityMetadata,
  deriveCascades,
  EntityMetadataError,
  GeneratorConfigError,
  parseGeneratorConfig,
  renderEntityModule,
  type EntityMetadata,
  type MetadataOptions,
} from '../src/generator/index.js';
import { blogSchema, dmmfOf, optionsOf } from './support.js';

let datamodel: DMMF.Datamodel;
let options: MetadataOptions;
let meta: EntityMetadata;

beforeAll(async () => {
  datamodel = (await dmmfOf(blogSchema)).datamodel;
  options = await optionsOf(blogSchema, 'entities');
  meta = buildEntityMetadata(datamodel, options);
});

const stepsOf = (model: string) =>
  meta.cascades[model]!.paths.map((p) => `${p.action} ${p.path.map((s) => `${s.model}.${s.relation}`).join(' > ')}${p.cyclic ? ' (cyclic)' : ''}`);

describe('ids and tables', () => {
  it('reads the block: idFields = ["Comment.uuid"], the default version field', () => {
    expect(options).toEqual({ idFields: { Comment: 'uuid' }, provider: 'postgresql' });
    expect(meta.versionField).toBe('version');
  });

  it('honours @map on the id column and @@map on the table', () => {
    const author = meta.models.Author!;
    expect(author.dbName).toBe('authors');
    expect(author.idField).toEqual({ name: 'id', column: 'author_id', type: 'Int', source: 'id' });
    expect(author.primaryKeyColumns).toEqual(['author_id']);
    expect(author.fields.email).toMatchObject({ column: 'email', isUnique: true, isId: false });
    expect(meta.models.Category!.dbName).toBe('Category');
  });

  it('keys a model without @id by the unique named in idFields', () => {
    const comment = meta.models.Comment!;
    expect(comment.primaryKey).toEqual([]);
    expect(comment.idField).toEqual({ name: 'uuid', column: 'comment_uuid', type: 'String', source: 'unique' });
    expect(comment.fields.uuid).toMatchObject({ nativeType: 'Uuid', isUnique: true });
    expect(comment.versionField).toEqual({ name: 'version', column: 'version', type: 'BigInt' });
    expect(comment.cacheable).toBe(true);
  });

  it('without that idFields entry, the same model has no id and is not cacheable', () => {
    const bare = buildEntityMetadata(datamodel, {}).models.Comment!;
    expect(bare.idField).toBeNull();
    expect(bare.cacheable).toBe(false);
    expect(bare.notCacheableReason).toBe("Comment is not cacheable: it has no @id; name a single-field unique for it in the generator's idFields");
  });

  it('idFields may also replace a single @id by another unique', () => {
    expect(buildEntityMetadata(datamodel, { idFields: { Author: 'email' } }).models.Author!.idField).toEqual({
      name: 'email',
      column: 'email',
      type: 'String',
      source: 'unique',
    });
  });

  it('marks a model without the version field as not cacheable', () => {
    const tag = meta.models.Tag!;
    expect(tag.idField).toMatchObject({ name: 'id' });
    expect(tag.versionField).toBeNull();
    expect(tag.cacheable).toBe(false);
    expect(tag.notCacheableReason).toBe('Tag is not cacheable: no version field version');
  });

  it('takes another version field name from versionField', () => {
    const other = buildEntityMetadata(datamodel, { ...options, versionField: 'title' });
    expect(other.versionField).toBe('title');
    expect(other.models.Post!.versionField).toBeNull();
    expect(other.models.Post!.notCacheableReason).toBe('Post is not cacheable: its title field is String, not a required Int or BigInt');
    expect(other.models.Author!.notCacheableReason).toBe('Author is not cacheable: no version field title');
  });

  it('describes a composite primary key with its columns, and no id field', () => {
    const audit = meta.models.AuditEntry!;
    expect(audit.primaryKey).toEqual(['authorId', 'postId']);
    expect(audit.primaryKeyColumns).toEqual(['author_id', 'postId']);
    expect(audit.idField).toBeNull();
    expect(audit.notCacheableReason).toMatch(/composite \(authorId, postId\)/);
  });
});

describe('relations', () => {
  it('copies the explicit onDelete and resolves the ones left to Prisma', () => {
    const post = meta.models.Post!.relations;
    expect(post.author).toMatchObject({ relationOnDelete: 'Cascade', onDelete: 'Cascade', fromColumns: ['author_id'], toColumns: ['author_id'] });
    // Optional and not written: Prisma's default is SetNull (ON DELETE SET NULL in the migration).
    expect(post.editor).toMatchObject({ relationOnDelete: null, onDelete: 'SetNull', relationFromFields: ['editorId'], fromColumns: ['editor_id'] });
    expect(post.category).toMatchObject({ relationOnDelete: 'SetDefault', onDelete: 'SetDefault' });
    // Required and not written: Restrict (ON DELETE RESTRICT); NoAction on SQL Server, which has no RESTRICT.
    expect(meta.models.AuditEntry!.relations.author).toMatchObject({ relationOnDelete: null, onDelete: 'Restrict' });
    expect(buildEntityMetadata(datamodel, { ...options, provider: 'sqlserver' }).models.AuditEntry!.relations.author!.onDelete).toBe('NoAction');
    expect(meta.models.AuditEntry!.relations.post).toMatchObject({ relationOnDelete: 'NoAction', onDelete: 'NoAction' });
    expect(meta.models.Comment!.relations.author).toMatchObject({ relationOnDelete: 'SetNull', onDelete: 'SetNull', isRequired: false });
  });

  it('describes both sides of a relation with the same foreign key', () => {
    expect(meta.models.Author!.relations.edited).toMatchObject({
      model: 'Post',
      relationName: 'EditedPosts',
      isList: true,
      foreignKeyHolder: 'related',
      relationFromFields: ['editorId'],
      relationToFields: ['id'],
      fromColumns: ['editor_id'],
      toColumns: ['author_id'],
      onDelete: 'SetNull',
      joinTable: null,
    });
    // A self-relation: each side finds the other, not itself.
    expect(meta.models.Comment!.relations.replies).toMatchObject({
      foreignKeyHolder: 'related',
      relationFromFields: ['parentId'],
      relationToFields: ['uuid'],
      fromColumns: ['parent_uuid'],
      toColumns: ['comment_uuid'],
    });
  });

  it("describes an implicit many-to-many through Prisma's join table", () => {
    expect(meta.models.Post!.relations.tags).toMatchObject({
      foreignKeyHolder: 'joinTable',
      relationFromFields: [],
      onDelete: 'Cascade',
      joinTable: { name: '_PostToTag', column: 'A' },
    });
    expect(meta.models.Tag!.relations.posts).toMatchObject({ foreignKeyHolder: 'joinTable', joinTable: { name: '_PostToTag', column: 'B' } });
  });
});

describe('cascades', () => {
  it('follows every path a delete of an author takes', () => {
    // Sorted by the model reached, then by the relations followed.
    expect(stepsOf('Author')).toEqual([
      'restrict AuditEntry.author',
      'noAction Post.author > AuditEntry.post',
      'setNull Comment.author',
      'delete Post.author > Comment.post',
      'delete Post.author > Comment.post > Comment.parent (cyclic)',
      'delete Post.author',
      'setNull Post.editor',
    ]);
    const author = meta.cascades.Author!;
    expect(author.deletes).toEqual(['Comment', 'Post']);
    expect(author.updates).toEqual(['Comment', 'Post']);
    expect(author.restrictedBy).toEqual(['AuditEntry']);
  });

  it('marks a self-relation cascade as cyclic and stops there', () => {
    expect(stepsOf('Comment')).toEqual(['delete Comment.parent (cyclic)']);
    expect(meta.cascades.Comment!.deletes).toEqual(['Comment']);
  });

  it('reports SetDefault as an update', () => {
    expect(stepsOf('Category')).toEqual(['setDefault Post.category']);
    expect(meta.cascades.Category!.updates).toEqual(['Post']);
    expect(meta.cascades.Category!.deletes).toEqual([]);
  });

  it('does not follow implicit many-to-many relations (join rows are not a model)', () => {
    expect(meta.cascades.Tag!.paths).toEqual([]);
    expect(stepsOf('Post')).toEqual(['noAction AuditEntry.post', 'delete Comment.post', 'delete Comment.post > Comment.parent (cyclic)']);
  });

  it('gives up beyond maxCascadePaths', () => {
    expect(() => deriveCascades(meta.models, 3)).toThrow(/more than 3 paths/);
    expect(() => buildEntityMetadata(datamodel, { ...options, maxCascadePaths: 3 })).toThrow(EntityMetadataError);
  });
});

describe('determinism', () => {
  it('gives the same module whatever the order of models and fields in the DMMF', () => {
    const reversed = { models: [...datamodel.models].reverse().map((m) => ({ ...m, fields: [...m.fields].reverse() })) };
    const a = renderEntityModule(meta, { generatorVersion: '0' });
    const b = renderEntityModule(buildEntityMetadata(reversed, options), { generatorVersion: '0' });
    expect(b).toBe(a);
    expect(Object.keys(meta.models.Post!.fields)).toEqual(['authorId', 'categoryId', 'editorId', 'id', 'title', 'version']);
    expect(Object.keys(meta.models.Post!.relations)).toEqual(['audits', 'author', 'category', 'comments', 'editor', 'tags']);
  });
});

describe('configuration errors', () => {
  it('rejects idFields that do not fit the schema', () => {
    expect(() => buildEntityMetadata(datamodel, { idFields: { Nope: 'id' } })).toThrow(/no model Nope/);
    expect(() => buildEntityMetadata(datamodel, { idFields: { Comment: 'nope' } })).toThrow(/Comment has no field nope/);
    expect(() => buildEntityMetadata(datamodel, { idFields: { Comment: 'body' } })).toThrow(/Comment.body is not unique on its own/);
    expect(() => buildEntityMetadata(datamodel, { idFields: { Comment: 'post' } })).toThrow(/relation field/);
    expect(() => buildEntityMetadata(datamodel, { idFields: { AuditEntry: 'authorId' } })).toThrow(EntityMetadataError);
  });

  it('parses the block strictly', () => {
    expect(parseGeneratorConfig({})).toEqual({});
    expect(parseGeneratorConfig({ versionField: 'rev', idFields: 'Comment.uuid, Tag.label' })).toEqual({
      versionField: 'rev',
      idFields: { Comment: 'uuid', Tag: 'label' },
    });
    expect(() => parseGeneratorConfig({ versionFeild: 'rev' })).toThrow(GeneratorConfigError);
    expect(() => parseGeneratorConfig({ versionField: ['a', 'b'] })).toThrow(/one field name/);
    expect(() => parseGeneratorConfig({ idFields: ['Comment'] })).toThrow(/"Model.field"/);
    expect(() => parseGeneratorConfig({ idFields: ['Comment.uuid', 'Comment.body'] })).toThrow(/two fields for Comment/);
  });
});
