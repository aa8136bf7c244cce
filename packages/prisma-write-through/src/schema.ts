/**
 * What the core knows of the Prisma schema: the entity metadata the
 * package's generator emits at `prisma generate` (`prisma-write-through/generator`,
 * from Prisma's DMMF), checked against the cached entities once, at start.
 *
 * Delete cascades come from the schema, never from memory: every
 * `onDelete: Cascade | SetNull | SetDefault` path that reaches the rows of a
 * cached entity is either one the core follows (a delete of another model
 * that deletes the root row, or changes a member row, by one foreign key), or
 * one it cannot follow, and then `resolveSchema` throws, naming the path.
 */
import type { CascadePath, EntityMetadata } from './generator/types.js';
import type { CachedEntity } from './types.js';

export type { EntityMetadata } from './generator/types.js';

/** A delete of `from` rows changes rows of `model` whose `field` names them. */
export interface ResolvedCascade {
  /** The model whose delete cascades. */
  from: string;
  /** The cached entity whose rows it reaches. */
  entity: string;
  /** The entity's root model or one of its member models. */
  model: string;
  /** The field of `model` holding the foreign key to the `from` row. */
  field: string;
  /** The field of `from` that `field` references (its id, or another unique field), and its column. */
  references: string;
  referencesColumn: string;
}

/** The schema facts the write path needs, by Prisma model name. */
export interface ResolvedSchema {
  models: Record<
    string,
    {
      /** The table (`@@map`, or the model name). */
      table: string;
      /** The model's id field (`@id`, or the unique named in the generator's `idFields`), and its column (`@map`). */
      idField: string | null;
      idColumn: string | null;
      /** The version field (the generator's `versionField`), null when the model has none. */
      versionField: string | null;
      /** Scalar fields (`kind: "scalar"`) and relation fields (`kind: "object"`, `type`: the related model). */
      fields: { name: string; kind: 'scalar' | 'object'; type: string }[];
    }
  >;
  cascades: ResolvedCascade[];
}

/** `Model.field -> Model.field` steps of a cascade path, for error messages. */
function describe(from: string, path: CascadePath): string {
  return [from, ...path.path.map((step) => `${step.model}.${step.fields.join('+')} (${step.onDelete})`)].join(' -> ');
}

/** Field types a cache id may have: a key holds the id as text, read back as a number or a string. */
const ID_TYPES = new Set(['Int', 'String']);

/**
 * Checks one cached entity against the metadata; returns its id field. Throws
 * an `Error` naming the entity and what to change when: its model is not in
 * the schema or has no version field (the generator's `versionField`, any
 * name, a required `Int` or `BigInt`); its `idField` (default `"id"`) is not
 * the model's id field (its single-field `@id`, or the single-field unique
 * named in the generator's `idFields`), or that field is neither an `Int` nor
 * a `String`; `row.omit` leaves out the id or the version field; a member
 * model or field does not exist, or the member field is a foreign key to
 * another field of the root than its id field.
 */
function checkEntity(entity: string, cfg: CachedEntity<any, any>, metadata: EntityMetadata): string {
  const model = metadata.models[cfg.model];
  if (!model) throw new Error(`${entity}: model ${cfg.model} is not in the schema (regenerate the entity metadata with \`prisma generate\`)`);
  if (!model.versionField) {
    throw new Error(
      `${entity}: model ${cfg.model} has no version field (${model.notCacheableReason ?? `no field ${metadata.versionField}`}): ` +
        `add a required Int field ${JSON.stringify(metadata.versionField)}, or set the generator's versionField to the name your models use`,
    );
  }
  const idField = cfg.idField ?? 'id';
  if (!model.idField) throw new Error(`${entity}: ${model.notCacheableReason ?? `${cfg.model} has no id field`}`);
  if (model.idField.name !== idField) {
    const unique = model.fields[idField]?.isUnique === true;
    throw new Error(
      `${entity}: idField is ${JSON.stringify(idField)}, but the id of ${cfg.model} is ${JSON.stringify(model.idField.name)}; set idField to it` +
        (unique ? `, or key the cache by ${idField}: idFields = ["${cfg.model}.${idField}"] in the generator block, then \`prisma generate\`` : ''),
    );
  }
  if (!ID_TYPES.has(model.idField.type)) {
    throw new Error(
      `${entity}: its id field ${cfg.model}.${idField} is ${model.idField.type}; cache ids are Int or String fields (keyed as text, read back as a number or a string)`,
    );
  }
  const omitted = (cfg.row?.omit ?? []).filter((name) => name === idField || name === model.versionField!.name);
  if (omitted.length > 0) throw new Error(`${entity}: row.omit leaves out ${omitted.join(' and ')}, which every cache entry needs`);
  for (const [member, field] of Object.entries(cfg.members ?? {})) {
    const memberModel = metadata.models[member];
    if (!memberModel) throw new Error(`${entity}: member model ${member} is not in the schema`);
    if (!memberModel.fields[field]) throw new Error(`${entity}: member ${member} has no field ${JSON.stringify(field)} holding the ${cfg.model} id`);
    const key = Object.values(memberModel.relations).find(
      (r) => r.model === cfg.model && r.foreignKeyHolder === 'this' && r.relationFromFields.length === 1 && r.relationFromFields[0] === field,
    );
    if (key && key.relationToFields[0] !== idField) {
      throw new Error(
        `${entity}: member ${member}.${field} references ${cfg.model}.${key.relationToFields[0]}, not its id field ${idField}: a member must hold its root's id`,
      );
    }
  }
  return idField;
}

/**
 * Checks `entities` against `metadata` and derives their cascades.
 *
 * Throws an `Error` naming the entity and what to change when one of
 * `checkEntity`'s rules fails, or when a delete path reaches an entity in a way
 * the core cannot follow (more than one step, not through the entity's own
 * root; `SetNull`/`SetDefault` on a root row; a compound foreign key).
 */
export function resolveSchema(entities: Record<string, CachedEntity<any, any>>, metadata: EntityMetadata): ResolvedSchema {
  const models: ResolvedSchema['models'] = {};
  for (const [name, model] of Object.entries(metadata.models)) {
    models[name] = {
      table: model.dbName,
      idField: model.idField?.name ?? null,
      idColumn: model.idField?.column ?? null,
      versionField: model.versionField?.name ?? null,
      fields: [
        ...Object.values(model.fields).map((f) => ({ name: f.name, kind: 'scalar' as const, type: f.type })),
        ...Object.values(model.relations).map((r) => ({ name: r.name, kind: 'object' as const, type: r.model })),
      ],
    };
  }

  const owner = new Map<string, { entity: string; root: boolean; field: string }>();
  for (const [entity, cfg] of Object.entries(entities)) {
    const idField = checkEntity(entity, cfg, metadata);
    owner.set(cfg.model, { entity, root: true, field: idField });
    for (const [member, field] of Object.entries(cfg.members ?? {})) owner.set(member, { entity, root: false, field });
  }

  const cascades: ResolvedCascade[] = [];
  for (const [from, reach] of Object.entries(metadata.cascades)) {
    for (const path of reach.paths) {
      if (path.action === 'restrict' || path.action === 'noAction') continue; // the delete fails instead
      const target = owner.get(path.model);
      if (!target) continue; // not cached
      const cfg = entities[target.entity]!;
      // A delete of the entity's own root (or through it) is the root's delete: tombstoned as such.
      if (from === cfg.model || path.path.slice(0, -1).some((step) => step.model === cfg.model)) continue;
      const source = owner.get(from);
      if (source && !source.root && source.entity !== target.entity) {
        throw new Error(
          `${target.entity}: a delete of ${from} rows, members of ${source.entity}, reaches its ${path.model} rows (${describe(from, path)}); ` +
            'the write-through follows the deletes of roots and of uncached models only: make the relation onDelete: Restrict',
        );
      }
      if (path.path.length !== 1 || path.cyclic) {
        throw new Error(
          `${target.entity}: a delete of ${from} reaches its ${path.model} rows in ${path.path.length} steps (${describe(from, path)}); ` +
            'the write-through follows one foreign key only: cache the models in between, or make the relation onDelete: Restrict',
        );
      }
      if (target.root && path.action !== 'delete') {
        throw new Error(
          `${target.entity}: a delete of ${from} changes ${path.model} rows in place (${describe(from, path)}); ` +
            'not supported on a root row yet: make the relation onDelete: Cascade or Restrict',
        );
      }
      const step = path.path[0]!;
      if (step.fields.length !== 1)
        throw new Error(`${target.entity}: the cascade ${describe(from, path)} uses a compound foreign key, which is not supported`);
      cascades.push({
        from,
        entity: target.entity,
        model: path.model,
        field: step.fields[0]!,
        references: step.referencedFields[0]!,
        referencesColumn: step.referencedColumns[0]!,
      });
    }
  }
  return { models, cascades };
}
