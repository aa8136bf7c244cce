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
  /** The field of `model` holding the id of the `from` row. */
  field: string;
}

/** The schema facts the write path needs, by Prisma model name. */
export interface ResolvedSchema {
  models: Record<
    string,
    {
      /** The table (`@@map`, or the model name). */
      table: string;
      /** The id field used to find rows (the entity's `idField` for cached roots), and its column (`@map`). */
      idField: string | null;
      idColumn: string | null;
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

/**
 * Checks `entities` against `metadata` and derives their cascades.
 *
 * Throws an `Error` naming the entity and what to change when: a model is not
 * in the schema or has no `version` field; an entity's `idField` is not its
 * model's id; a member model or member field does not exist; or a delete path
 * reaches an entity in a way the core cannot follow (more than one step, not
 * through the entity's own root; `SetNull`/`SetDefault` on a root row).
 */
export function resolveSchema(entities: Record<string, CachedEntity<any, any>>, metadata: EntityMetadata): ResolvedSchema {
  const models: ResolvedSchema['models'] = {};
  for (const [name, model] of Object.entries(metadata.models)) {
    models[name] = {
      table: model.dbName,
      idField: model.idField?.name ?? null,
      idColumn: model.idField?.column ?? null,
      fields: [
        ...Object.values(model.fields).map((f) => ({ name: f.name, kind: 'scalar' as const, type: f.type })),
        ...Object.values(model.relations).map((r) => ({ name: r.name, kind: 'object' as const, type: r.model })),
      ],
    };
  }

  const owner = new Map<string, { entity: string; root: boolean; field: string }>();
  for (const [entity, cfg] of Object.entries(entities)) {
    const model = metadata.models[cfg.model];
    if (!model) throw new Error(`${entity}: model ${cfg.model} is not in the schema (regenerate the entity metadata with \`prisma generate\`)`);
    if (model.versionField?.name !== 'version') {
      throw new Error(`${entity}: model ${cfg.model} needs an Int field named "version" (${model.notCacheableReason ?? `its version field is ${JSON.stringify(model.versionField?.name)}`})`);
    }
    const idField = cfg.idField ?? 'id';
    if (model.idField?.name !== idField) {
      throw new Error(`${entity}: idField is ${JSON.stringify(idField)}, but the id of ${cfg.model} is ${JSON.stringify(model.idField?.name ?? null)}; set idField to it`);
    }
    owner.set(cfg.model, { entity, root: true, field: idField });
    for (const [member, field] of Object.entries(cfg.members ?? {})) {
      const memberModel = metadata.models[member];
      if (!memberModel) throw new Error(`${entity}: member model ${member} is not in the schema`);
      if (!memberModel.fields[field]) throw new Error(`${entity}: member ${member} has no field ${JSON.stringify(field)} holding the ${cfg.model} id`);
      owner.set(member, { entity, root: false, field });
    }
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
      const [step] = path.path;
      if (step!.fields.length !== 1) throw new Error(`${target.entity}: the cascade ${describe(from, path)} uses a compound foreign key, which is not supported`);
      cascades.push({ from, entity: target.entity, model: path.model, field: step!.fields[0]! });
    }
  }
  return { models, cascades };
}
