/**
 * The shape of a cached entity: what its cache entry holds, as a short
 * fingerprint written into every value (`CacheWrite.shape`).
 *
 * A migration that adds, renames, drops or retypes a field of a cached model
 * changes what the new code caches, and during a rolling deploy old and new
 * instances share one Redis. Neither may serve the other's entries: the new
 * code would miss the new field (or read a field that is gone), the old code
 * would serve a field it does not know or lack one it expects. So the loader
 * serves a value only if its shape is this code's; any other is a miss, read
 * from the database and filled again in this code's shape (at an equal
 * version, a value of another shape is replaced: the same row, cached as the
 * filler's code caches it).
 *
 * The shape is in the entry, not in the key, on purpose: one key per entity
 * keeps one version per entity across shapes, so a write acknowledged by an
 * instance of one shape makes every older entry unreadable for instances of the
 * other (the compare-and-set and the leases work across shapes). With one key
 * per shape, an old instance would go on serving its own entry after a new
 * instance committed a newer version under another key.
 *
 * What the fingerprint covers, from the generated entity metadata (so a
 * `prisma generate` after a migration changes it) and the entity's
 * configuration: the root model's scalar fields (name, kind, type, native
 * type, list, required), minus `row.omit` for a one-row entity; for an
 * aggregate, the member models' scalar fields and the fields that hold the
 * root's id; and `shapeVersion`, which the application bumps when its `load`
 * changes what it caches without the schema changing. Not covered: relations
 * (a `load` that includes one not declared as a member must bump
 * `shapeVersion` when that model changes), column names (`@map`: the cached
 * JSON uses field names), enum values.
 */
import { createHash } from 'node:crypto';
import type { EntityMetadata, ModelMetadata } from './generator/types.js';
import type { CachedEntity } from './types.js';

/** Bumped if the description below ever changes, so that no fingerprint is reused for another meaning. */
const FORMAT = 'prisma-write-through/shape/1';

/** Hex characters of the sha256 kept: 32 bits, enough to tell the few shapes of one entity that meet in one deploy. */
const LENGTH = 8;

function fieldsOf(model: ModelMetadata, omit: readonly string[] = []): string[] {
  return Object.values(model.fields)
    .filter((field) => !omit.includes(field.name))
    .map((f) => `${f.name}:${f.kind}:${f.type}${f.nativeType ? `@${f.nativeType}` : ''}${f.isList ? '[]' : ''}${f.isRequired ? '!' : '?'}`)
    .sort();
}

function modelOf(schema: EntityMetadata, name: string, entity: string): ModelMetadata {
  const model = schema.models[name];
  if (!model) throw new Error(`${entity}: model ${name} is not in the schema (regenerate the entity metadata with \`prisma generate\`)`);
  return model;
}

/**
 * The canonical description of what `entity` caches, which its fingerprint
 * hashes: a JSON text of its model, fields, members and `shapeVersion`.
 * `name` names the entity in errors. Throws when a model is not in `schema`.
 */
export function entityShape(entity: CachedEntity<any, any>, schema: EntityMetadata, name: string = entity.model): string {
  const root = modelOf(schema, entity.model, name);
  const members = Object.entries(entity.members ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([member, field]) => ({ model: member, via: field, fields: fieldsOf(modelOf(schema, member, name)) }));
  return JSON.stringify({
    format: FORMAT,
    model: entity.model,
    fields: fieldsOf(root, entity.row ? (entity.row.omit ?? []) : []),
    members,
    version: entity.shapeVersion ?? null,
  });
}

const memo = new WeakMap<EntityMetadata, WeakMap<object, string>>();

/**
 * The fingerprint of `entity`'s shape in `schema`: the first 8 hex characters
 * of the sha256 of `entityShape`. Memoized per schema and entity object (the
 * loaders ask once per request). Throws when a model is not in `schema`.
 */
export function shapeFingerprint(entity: CachedEntity<any, any>, schema: EntityMetadata, name?: string): string {
  let bySchema = memo.get(schema);
  if (!bySchema) memo.set(schema, (bySchema = new WeakMap()));
  let fingerprint = bySchema.get(entity);
  if (fingerprint === undefined) {
    fingerprint = createHash('sha256')
      .update(entityShape(entity, schema, name))
      .digest('hex')
      .slice(0, LENGTH);
    bySchema.set(entity, fingerprint);
  }
  return fingerprint;
}

/** The fingerprint of every entity, by entity name (see `shapeFingerprint`). */
export function shapeFingerprints(entities: Record<string, CachedEntity<any, any>>, schema: EntityMetadata): Record<string, string> {
  return Object.fromEntries(Object.entries(entities).map(([name, entity]) => [name, shapeFingerprint(entity, schema, name)]));
}
