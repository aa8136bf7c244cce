/**
 * The generator's pure part: Prisma DMMF in, entity metadata out (no I/O).
 * `prisma generate` hands the DMMF to the generator (`GeneratorOptions.dmmf`);
 * `getDMMF` from `@prisma/internals` returns the same document for a schema
 * text, which is how the tests feed this function.
 */
import type * as DMMF from '@prisma/dmmf';
import {
  REFERENTIAL_ACTIONS,
  type CascadeAction,
  type CascadePath,
  type CascadeStep,
  type DeleteEffects,
  type EntityMetadata,
  type ForeignKeyHolder,
  type IdFieldMetadata,
  type ModelMetadata,
  type ReferentialAction,
  type RelationMetadata,
  type ScalarFieldMetadata,
  type VersionFieldMetadata,
} from './types.js';

/** Options of {@link buildEntityMetadata}; the generator reads them from its `generator` block (see `config.ts`). */
export interface MetadataOptions {
  /** Name of the version field every cacheable model carries. Default `version`. */
  versionField?: string;
  /**
   * Models keyed by a single-field unique instead of (or for want of) a
   * single-field `@id`: model name → field name, e.g. `{ Comment: 'uuid' }`.
   */
  idFields?: Readonly<Record<string, string>>;
  /**
   * The datasource's provider (`GeneratorOptions.datasources[0].activeProvider`),
   * for the default `onDelete` of required relations: `NoAction` on `sqlserver`
   * (no RESTRICT there), `Restrict` elsewhere. Default `postgresql`.
   */
  provider?: string;
  /** Upper bound on the cascade paths of one model, against a combinatorial blow-up. Default 10,000. */
  maxCascadePaths?: number;
}

/** The error {@link buildEntityMetadata} throws for a configuration that does not fit the schema. */
export class EntityMetadataError extends Error {
  override name = 'EntityMetadataError';
}

const DEFAULT_VERSION_FIELD = 'version';
const VERSION_TYPES = new Set(['Int', 'BigInt']);

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A deterministic order for strings: code-unit order, not locale order. */
export const compareNames = byName;

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => byName(a, b)));
}

function asAction(value: string | undefined, where: string): ReferentialAction | null {
  if (value === undefined || value === null) return null;
  if ((REFERENTIAL_ACTIONS as readonly string[]).includes(value)) return value as ReferentialAction;
  throw new EntityMetadataError(
    `${where}: unknown referential action ${JSON.stringify(value)} in the DMMF (expected one of ${REFERENTIAL_ACTIONS.join(', ')})`,
  );
}

const column = (field: DMMF.Field) => field.dbName ?? field.name;

function nativeTypeText(field: DMMF.Field): string | null {
  if (!field.nativeType) return null;
  const [name, args] = field.nativeType;
  return args.length > 0 ? `${name}(${args.join(', ')})` : name;
}

/**
 * Turns the DMMF's datamodel into the entity metadata of every model, with
 * the cascades of deletes derived by {@link deriveCascades}.
 *
 * - id field: the model's single-field `@id`, or the single-field unique
 *   named for it in `options.idFields` (which wins over `@id`); none for a
 *   composite `@@id` without an `idFields` entry.
 * - version field: the scalar field named `options.versionField`
 *   (default `version`) when it is a required, non-list `Int` or `BigInt`.
 * - `cacheable`: both exist; otherwise `notCacheableReason` says what is missing.
 * - relations: both sides of every relation describe the same foreign key
 *   (`relationFromFields` / `relationToFields`, copied from the side that
 *   holds it), and `onDelete` is the effective action (explicit, or Prisma's
 *   default: `SetNull` when the foreign key is optional, `Restrict` when the
 *   relation field or any of its foreign-key fields is required, `NoAction`
 *   for that on SQL Server, as Prisma's schema parser decides).
 *
 * Models, fields, relations and cascades are sorted by name, so the same
 * schema always gives the same result, whatever its declaration order.
 *
 * @param datamodel `DMMF.Document['datamodel']` (only `models` is read; composite `types` are MongoDB's embedded documents, not tables).
 * @throws EntityMetadataError when `idFields` names a model or field that does not exist, a relation or list field, or a field that is not unique on its own; when the DMMF holds a referential action this code does not know; or when a model's cascade paths exceed `maxCascadePaths`.
 */
export function buildEntityMetadata(datamodel: Pick<DMMF.Datamodel, 'models'>, options: MetadataOptions = {}): EntityMetadata {
  const versionField = options.versionField ?? DEFAULT_VERSION_FIELD;
  const idFields = options.idFields ?? {};
  const models = new Map(datamodel.models.map((m) => [m.name, m]));

  for (const [modelName, fieldName] of Object.entries(idFields)) {
    const model = models.get(modelName);
    if (!model) throw new EntityMetadataError(`idFields: no model ${modelName} in the schema (models: ${[...models.keys()].sort(byName).join(', ')})`);
    const field = model.fields.find((f) => f.name === fieldName);
    if (!field) throw new EntityMetadataError(`idFields: model ${modelName} has no field ${fieldName}`);
    if (field.kind === 'object' || field.isList)
      throw new EntityMetadataError(`idFields: ${modelName}.${fieldName} is a ${field.kind === 'object' ? 'relation' : 'list'} field, not a scalar`);
    if (!isSingleFieldUnique(model, fieldName)) {
      throw new EntityMetadataError(`idFields: ${modelName}.${fieldName} is not unique on its own (it needs @id, @unique or a one-field @@unique)`);
    }
  }

  const requiredDefault: ReferentialAction = options.provider === 'sqlserver' ? 'NoAction' : 'Restrict';
  const result: Record<string, ModelMetadata> = {};
  for (const model of [...models.values()].sort((a, b) => byName(a.name, b.name))) {
    result[model.name] = modelMetadata(model, models, { versionField, idField: idFields[model.name], requiredDefault });
  }
  const cascades = deriveCascades(result, options.maxCascadePaths);
  return { versionField, models: result, cascades };
}

function isSingleFieldUnique(model: DMMF.Model, fieldName: string): boolean {
  const field = model.fields.find((f) => f.name === fieldName);
  if (!field) return false;
  if (field.isId || field.isUnique) return true;
  if (model.primaryKey?.fields.length === 1 && model.primaryKey.fields[0] === fieldName) return true;
  return model.uniqueFields.some((fields) => fields.length === 1 && fields[0] === fieldName);
}

function modelMetadata(
  model: DMMF.Model,
  models: ReadonlyMap<string, DMMF.Model>,
  cfg: { versionField: string; idField: string | undefined; requiredDefault: ReferentialAction },
): ModelMetadata {
  const where = `model ${model.name}`;
  const scalarFields = model.fields.filter((f) => f.kind !== 'object');
  const primaryKey = model.primaryKey ? [...model.primaryKey.fields] : scalarFields.filter((f) => f.isId).map((f) => f.name);
  const fieldByName = new Map(model.fields.map((f) => [f.name, f]));
  const columnOf = (name: string) => {
    const f = fieldByName.get(name);
    return f ? column(f) : name;
  };

  const fields = sortedRecord<ScalarFieldMetadata>(
    scalarFields.map((f) => [
      f.name,
      {
        name: f.name,
        column: column(f),
        kind: f.kind as ScalarFieldMetadata['kind'],
        type: f.type,
        nativeType: nativeTypeText(f),
        isList: f.isList,
        isRequired: f.isRequired,
        isId: primaryKey.includes(f.name),
        isUnique: f.isUnique || model.uniqueFields.some((u) => u.length === 1 && u[0] === f.name),
        isUpdatedAt: f.isUpdatedAt ?? false,
        hasDefaultValue: f.hasDefaultValue,
      },
    ]),
  );

  let idField: IdFieldMetadata | null = null;
  if (cfg.idField !== undefined) {
    const f = fieldByName.get(cfg.idField)!;
    idField = { name: f.name, column: column(f), type: f.type, source: primaryKey.length === 1 && primaryKey[0] === f.name ? 'id' : 'unique' };
  } else if (primaryKey.length === 1) {
    const f = fieldByName.get(primaryKey[0]!)!;
    idField = { name: f.name, column: column(f), type: f.type, source: 'id' };
  }

  let versionField: VersionFieldMetadata | null = null;
  let versionProblem: string | null = null;
  const v = fieldByName.get(cfg.versionField);
  if (!v) versionProblem = `no version field ${cfg.versionField}`;
  else if (v.kind !== 'scalar' || !VERSION_TYPES.has(v.type) || v.isList || !v.isRequired) {
    versionProblem = `its ${cfg.versionField} field is ${v.isList ? 'a list of ' : ''}${v.type}${v.isRequired ? '' : '?'}, not a required Int or BigInt`;
  } else versionField = { name: v.name, column: column(v), type: v.type as VersionFieldMetadata['type'] };

  const problems: string[] = [];
  if (!idField) {
    problems.push(
      primaryKey.length > 1
        ? `its primary key is composite (${primaryKey.join(', ')}); name a single-field unique for it in the generator's idFields`
        : `it has no @id; name a single-field unique for it in the generator's idFields`,
    );
  }
  if (versionProblem) problems.push(versionProblem);

  const relations = sortedRecord<RelationMetadata>(
    model.fields
      .filter((f) => f.kind === 'object')
      .map((f) => [f.name, relationMetadata(model, f, models, cfg.requiredDefault, `${where}, relation ${f.name}`)]),
  );

  return {
    name: model.name,
    dbName: model.dbName ?? model.name,
    schema: model.schema ?? null,
    primaryKey,
    primaryKeyColumns: primaryKey.map(columnOf),
    idField,
    versionField,
    cacheable: problems.length === 0,
    notCacheableReason: problems.length === 0 ? null : `${model.name} is not cacheable: ${problems.join('; ')}`,
    fields,
    relations,
  };
}

/** The relation field on the other side of `field` (same relation name, on the related model; for a self-relation, the other field). */
function oppositeField(model: DMMF.Model, field: DMMF.Field, models: ReadonlyMap<string, DMMF.Model>): DMMF.Field | undefined {
  const related = models.get(field.type);
  return related?.fields.find((f) => f.kind === 'object' && f.relationName === field.relationName && f.type === model.name && f !== field);
}

function relationMetadata(
  model: DMMF.Model,
  field: DMMF.Field,
  models: ReadonlyMap<string, DMMF.Model>,
  requiredDefault: ReferentialAction,
  where: string,
): RelationMetadata {
  const own = field.relationFromFields ?? [];
  const opposite = oppositeField(model, field, models);
  const holder: ForeignKeyHolder = own.length > 0 ? 'this' : (opposite?.relationFromFields?.length ?? 0) > 0 ? 'related' : 'joinTable';
  // The side that holds the foreign key, and its model.
  const fkField = holder === 'this' ? field : holder === 'related' ? opposite! : null;
  const fkModel = holder === 'this' ? model : holder === 'related' ? models.get(field.type)! : null;
  const refModel = holder === 'this' ? models.get(field.type)! : holder === 'related' ? model : null;
  const from = fkField?.relationFromFields ?? [];
  const to = fkField?.relationToFields ?? [];
  const columnIn = (m: DMMF.Model | null, name: string) => {
    const f = m?.fields.find((x) => x.name === name);
    return f ? column(f) : name;
  };

  const relationOnDelete = fkField ? asAction(fkField.relationOnDelete, where) : null;
  const relationOnUpdate = fkField ? asAction(fkField.relationOnUpdate, where) : null;
  let onDelete: ReferentialAction;
  if (!fkField || !fkModel) onDelete = 'Cascade';
  else if (relationOnDelete) onDelete = relationOnDelete;
  else {
    // Prisma's default (psl `default_on_delete_action`): the relation counts as required when
    // its relation field or any of its foreign-key fields is required.
    const required = fkField.isRequired || from.some((name) => fkModel.fields.find((f) => f.name === name)?.isRequired);
    onDelete = required ? requiredDefault : 'SetNull';
  }

  return {
    name: field.name,
    model: field.type,
    relationName: field.relationName ?? '',
    isList: field.isList,
    isRequired: field.isRequired,
    foreignKeyHolder: holder,
    relationFromFields: [...from],
    relationToFields: [...to],
    fromColumns: from.map((name) => columnIn(fkModel, name)),
    toColumns: to.map((name) => columnIn(refModel, name)),
    relationOnDelete,
    relationOnUpdate,
    onDelete,
    joinTable:
      holder === 'joinTable'
        ? { name: `_${field.relationName}`, column: field.type === model.name ? null : byName(model.name, field.type) < 0 ? 'A' : 'B' }
        : null,
  };
}

const ACTION_OF: Record<ReferentialAction, CascadeAction> = {
  Cascade: 'delete',
  SetNull: 'setNull',
  SetDefault: 'setDefault',
  Restrict: 'restrict',
  NoAction: 'noAction',
};

const stepKey = (s: CascadeStep) => `${s.model}.${s.relation}`;

/**
 * Derives, for every model, what a delete of its rows reaches through the
 * database's referential actions, transitively: every relation whose foreign
 * key points at a deleted model is followed; `Cascade` deletes the referencing
 * rows (and the walk goes on from them), `SetNull` / `SetDefault` update them,
 * `Restrict` / `NoAction` make the delete fail while they exist (the walk
 * stops there). A step into a model already on the path ends the path as
 * `cyclic` (a self-relation or a cycle of cascades repeats to a fixed point).
 * Implicit many-to-many relations are not followed: their join-table rows are
 * not a model (the related model's rows are untouched).
 *
 * Deterministic: paths are sorted by reached model, then by their steps.
 *
 * @param models Model metadata by name, as {@link buildEntityMetadata} builds it (only `relations` is read).
 * @param maxPaths Upper bound on the paths of one model (default 10,000).
 * @returns An entry for every model in `models` (empty lists for a model whose deletes reach nothing), keys sorted.
 * @throws EntityMetadataError when a model's paths exceed `maxPaths`.
 */
export function deriveCascades(models: Readonly<Record<string, Pick<ModelMetadata, 'relations'>>>, maxPaths = 10_000): Record<string, DeleteEffects> {
  // Incoming foreign keys: referenced model -> steps from it to the models that reference it.
  const incoming = new Map<string, CascadeStep[]>();
  for (const [name, model] of Object.entries(models)) {
    for (const r of Object.values(model.relations)) {
      if (r.foreignKeyHolder !== 'this') continue;
      const step: CascadeStep = {
        model: name,
        relation: r.name,
        relationName: r.relationName,
        references: r.model,
        fields: r.relationFromFields,
        columns: r.fromColumns,
        referencedFields: r.relationToFields,
        referencedColumns: r.toColumns,
        onDelete: r.onDelete,
      };
      incoming.set(r.model, [...(incoming.get(r.model) ?? []), step]);
    }
  }
  for (const steps of incoming.values()) steps.sort((a, b) => byName(stepKey(a), stepKey(b)));

  const result: Record<string, DeleteEffects> = {};
  for (const root of Object.keys(models).sort(byName)) {
    const paths: CascadePath[] = [];
    const walk = (at: string, path: CascadeStep[], onPath: ReadonlySet<string>) => {
      for (const step of incoming.get(at) ?? []) {
        const next = [...path, step];
        const action = ACTION_OF[step.onDelete];
        const cyclic = action === 'delete' && onPath.has(step.model);
        paths.push({ model: step.model, action, path: next, cyclic });
        if (paths.length > maxPaths) {
          throw new EntityMetadataError(
            `deleting ${root} reaches other models through more than ${maxPaths} paths of referential actions; raise maxCascadePaths if this is expected`,
          );
        }
        if (action === 'delete' && !cyclic) walk(step.model, next, new Set([...onPath, step.model]));
      }
    };
    walk(root, [], new Set([root]));
    const key = (p: CascadePath) => `${p.model}\u0000${p.path.map(stepKey).join('\u0001')}`;
    paths.sort((a, b) => byName(key(a), key(b)));
    const modelsWith = (actions: CascadeAction[]) => [...new Set(paths.filter((p) => actions.includes(p.action)).map((p) => p.model))].sort(byName);
    result[root] = {
      deletes: modelsWith(['delete']),
      updates: modelsWith(['setNull', 'setDefault']),
      restrictedBy: modelsWith(['restrict', 'noAction']),
      paths,
    };
  }
  return result;
}
