/**
 * The entity metadata that the generator derives from Prisma's DMMF and emits
 * as a module. These are the package's types; the emitted module declares the
 * same shapes itself (it imports nothing), and `test/emit.test.ts` checks that
 * the two stay assignable.
 *
 * Where a fact comes from: Prisma's DMMF (`@prisma/dmmf` 7.10, the
 * `datamodel` part that `prisma generate` hands to every generator and that
 * `getDMMF` returns): `Model.name`, `Model.dbName` (`@@map`, null without it),
 * `Model.schema` (`@@schema`), `Model.primaryKey` (`@@id`, null for a single
 * `@id`), `Model.uniqueFields` (`@@unique`), `Field.dbName` (`@map`, absent
 * without it), `Field.isId`, `Field.isUnique`, `Field.relationFromFields`,
 * `Field.relationToFields`, `Field.relationOnDelete` / `relationOnUpdate`
 * (present only when the schema writes them, and only on the relation field
 * that holds the foreign key). Everything else here is derived from these.
 */

/**
 * Prisma's referential actions, as the DMMF spells them in
 * `Field.relationOnDelete` / `relationOnUpdate`.
 */
export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault';

/** Every referential action, for validation. */
export const REFERENTIAL_ACTIONS: readonly ReferentialAction[] = ['Cascade', 'Restrict', 'NoAction', 'SetNull', 'SetDefault'];

/** A scalar (or enum, or `Unsupported(...)`) field of a model: a column of its table. */
export interface ScalarFieldMetadata {
  /** The field's name in the Prisma schema (and in Prisma Client). */
  readonly name: string;
  /** Its column: the field's `@map` (DMMF `Field.dbName`), else its name. */
  readonly column: string;
  /** DMMF `Field.kind`: a plain scalar, an enum, or an `Unsupported(...)` column. */
  readonly kind: 'scalar' | 'enum' | 'unsupported';
  /** The Prisma type (`Int`, `String`, `DateTime`, `BigInt`, ...) or the enum's name. */
  readonly type: string;
  /** The `@db.` native type, e.g. `Timestamptz(3)` or `Uuid`; null without one. */
  readonly nativeType: string | null;
  readonly isList: boolean;
  /** False for an optional (`?`) field. */
  readonly isRequired: boolean;
  /** Part of the primary key (`@id`, or a field of `@@id`). */
  readonly isId: boolean;
  /** Unique on its own (`@unique`, or a one-field `@@unique`). */
  readonly isUnique: boolean;
  /** `@updatedAt`. */
  readonly isUpdatedAt: boolean;
  /** Has a `@default(...)`. */
  readonly hasDefaultValue: boolean;
}

/**
 * Which side of a relation holds the foreign key: this model
 * (`relationFromFields` on this side), the related model, or, for an implicit
 * many-to-many relation, Prisma's join table (`_<relationName>`).
 */
export type ForeignKeyHolder = 'this' | 'related' | 'joinTable';

/** A relation field of a model. */
export interface RelationMetadata {
  /** The relation field's name, e.g. `user` on `Cart`. */
  readonly name: string;
  /** The related model. */
  readonly model: string;
  /** DMMF `Field.relationName`: the same on both sides of the relation. */
  readonly relationName: string;
  readonly isList: boolean;
  readonly isRequired: boolean;
  readonly foreignKeyHolder: ForeignKeyHolder;
  /**
   * DMMF `Field.relationFromFields` of the side that holds the foreign key:
   * the foreign key's fields, on that side's model. On the other side (where
   * the DMMF has `[]`) they are copied from the opposite field so both sides
   * describe the same key; empty for an implicit many-to-many relation.
   */
  readonly relationFromFields: readonly string[];
  /** DMMF `Field.relationToFields` of the foreign-key side: the referenced fields, in the same order. */
  readonly relationToFields: readonly string[];
  /** Columns of `relationFromFields` (each field's `@map` or name). */
  readonly fromColumns: readonly string[];
  /** Columns of `relationToFields`. */
  readonly toColumns: readonly string[];
  /**
   * DMMF `Field.relationOnDelete` of the foreign-key side, as written in the
   * schema; null when the schema does not write one (the DMMF then omits it).
   */
  readonly relationOnDelete: ReferentialAction | null;
  /** DMMF `Field.relationOnUpdate` of the foreign-key side, as written; null when not written. */
  readonly relationOnUpdate: ReferentialAction | null;
  /**
   * What a delete of the referenced row does to the rows holding the foreign
   * key: `relationOnDelete`, else Prisma's default (`SetNull` when the
   * foreign-key side's relation field is optional, `Restrict` when it is
   * required; `NoAction` instead of `Restrict` on SQL Server, which has no
   * RESTRICT). `Cascade` for an implicit many-to-many relation (Prisma's
   * join table cascades on both sides; the join rows are not a model).
   */
  readonly onDelete: ReferentialAction;
  /**
   * For an implicit many-to-many relation, Prisma's join table: `_<relationName>`,
   * whose column `A` references the model whose name sorts first and `B` the
   * other (as Prisma's migrations create it: `ON DELETE CASCADE` on both). `column` is the one that
   * references this model (null for a self-relation, where both do). Null for
   * any other relation.
   */
  readonly joinTable: JoinTableMetadata | null;
}

/** Prisma's join table of an implicit many-to-many relation. */
export interface JoinTableMetadata {
  readonly name: string;
  /** The column referencing this side's model (its `@id`): `A` or `B`; null for a self-relation. */
  readonly column: 'A' | 'B' | null;
}

/** The field a cached model is keyed by. */
export interface IdFieldMetadata {
  readonly name: string;
  /** Its column (`@map` or name). */
  readonly column: string;
  /** Its Prisma type. */
  readonly type: string;
  /** `id`: the model's single-field `@id`; `unique`: a single-field unique named in the generator's `idFields`. */
  readonly source: 'id' | 'unique';
}

/** The field the write-through cache compares and sets entries on. */
export interface VersionFieldMetadata {
  readonly name: string;
  readonly column: string;
  readonly type: 'Int' | 'BigInt';
}

/** One model of the schema. */
export interface ModelMetadata {
  readonly name: string;
  /** Its table: `@@map` (DMMF `Model.dbName`), else the model's name. */
  readonly dbName: string;
  /** `@@schema`, null without it. */
  readonly schema: string | null;
  /** The primary key's fields (`@id` or `@@id`); empty for a model identified by a unique only. */
  readonly primaryKey: readonly string[];
  /** The primary key's columns, in the same order. */
  readonly primaryKeyColumns: readonly string[];
  /** The field a cache entry is keyed by; null when there is none (composite key and no `idFields` entry). */
  readonly idField: IdFieldMetadata | null;
  /** The version field; null when the model has none (or it is not an `Int`/`BigInt`). */
  readonly versionField: VersionFieldMetadata | null;
  /** Whether the cache can hold this model: it has both an id field and a version field. */
  readonly cacheable: boolean;
  /** Why it cannot, when `cacheable` is false; null otherwise. */
  readonly notCacheableReason: string | null;
  /** Scalar, enum and unsupported fields, by name, sorted. */
  readonly fields: Readonly<Record<string, ScalarFieldMetadata>>;
  /** Relation fields, by name, sorted. */
  readonly relations: Readonly<Record<string, RelationMetadata>>;
}

/** One relation a delete travels along: from `references` rows to the `model` rows whose foreign key points at them. */
export interface CascadeStep {
  /** The model whose rows this step reaches (it holds the foreign key). */
  readonly model: string;
  /** The relation field on `model` that holds the foreign key. */
  readonly relation: string;
  readonly relationName: string;
  /** The model whose rows were deleted at the start of this step. */
  readonly references: string;
  /** The foreign key's fields on `model` (`relationFromFields`). */
  readonly fields: readonly string[];
  readonly columns: readonly string[];
  /** The referenced fields on `references` (`relationToFields`). */
  readonly referencedFields: readonly string[];
  readonly referencedColumns: readonly string[];
  /** The relation's effective `onDelete`. */
  readonly onDelete: ReferentialAction;
}

/**
 * What a reached row undergoes: deleted (`Cascade`), its foreign key set to
 * null (`SetNull`) or to its default (`SetDefault`), or the whole delete fails
 * while such a row exists (`Restrict`; `NoAction` too, checked at the end of
 * the statement, so a row that the same delete removes through another path
 * does not block it).
 */
export type CascadeAction = 'delete' | 'setNull' | 'setDefault' | 'restrict' | 'noAction';

/** One way a delete reaches another model's rows. */
export interface CascadePath {
  /** The model reached: the last step's `model`. */
  readonly model: string;
  readonly action: CascadeAction;
  /** The relations followed, from the deleted model on; all but the last are `Cascade`. */
  readonly path: readonly CascadeStep[];
  /**
   * The last step enters a model already on the path (a self-relation or a
   * cycle of cascades): the delete repeats along it until no row is left, so a
   * reader must follow it to a fixed point. Such a path is not extended.
   */
  readonly cyclic: boolean;
}

/** Everything a delete of one model's rows reaches, transitively, through the database's referential actions. */
export interface DeleteEffects {
  /** Models whose rows may be deleted with it (`Cascade`), sorted; the model itself only through a cycle. */
  readonly deletes: readonly string[];
  /** Models whose rows may be updated (`SetNull` / `SetDefault`), sorted. */
  readonly updates: readonly string[];
  /** Models whose rows may make the delete fail (`Restrict` / `NoAction`), sorted. */
  readonly restrictedBy: readonly string[];
  /** Every path, sorted by reached model, then by the path's relations. */
  readonly paths: readonly CascadePath[];
}

/** The generator's whole result: what the emitted module exports as `entityMetadata`. */
export interface EntityMetadata {
  /** The configured version field name (`versionField`, default `version`). */
  readonly versionField: string;
  /** Every model, by name, sorted. */
  readonly models: Readonly<Record<string, ModelMetadata>>;
  /** For every model (sorted), what deleting its rows reaches. */
  readonly cascades: Readonly<Record<string, DeleteEffects>>;
}
