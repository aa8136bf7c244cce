/**
 * Renders entity metadata as a self-contained TypeScript ES module: no
 * imports (the app compiles it with its own sources, whatever resolves
 * there), its types declared in it, the data `as const` so every model name,
 * column and cascade is a literal type.
 */
import type { EntityMetadata } from './types.js';

/** What the header of the emitted module names. */
export interface RenderOptions {
  /** The generator's package version, written in the header (no date: the same schema gives the same bytes). */
  generatorVersion: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A string as a single-quoted TypeScript literal (JSON's escapes, which TypeScript shares). */
function quote(value: string): string {
  return `'${JSON.stringify(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

const isPrimitive = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/**
 * A JSON-like value as TypeScript source: identifiers unquoted as keys,
 * single-quoted strings, two-space indentation, arrays of primitives on one
 * line. Key order is the objects' own (the metadata's are sorted).
 *
 * @throws TypeError for a value JSON cannot hold (undefined, a function, a bigint, a non-finite number).
 */
export function toTypeScriptLiteral(value: unknown, indent = ''): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return String(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot emit the number ${value}`);
      return String(value);
    case 'object':
      break;
    default:
      throw new TypeError(`cannot emit a ${typeof value}`);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isPrimitive)) return `[${value.map((v) => toTypeScriptLiteral(v)).join(', ')}]`;
    return `[\n${value.map((v) => `${inner}${toTypeScriptLiteral(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const key = (k: string) => (IDENTIFIER.test(k) ? k : quote(k));
  return `{\n${entries.map(([k, v]) => `${inner}${key(k)}: ${toTypeScriptLiteral(v, inner)},`).join('\n')}\n${indent}}`;
}

/**
 * The type declarations the emitted module carries: the same shapes as
 * `types.ts` (`test/emit.test.ts` checks both ways that they stay equal).
 */
const TYPES = `/** Prisma's referential actions, as the DMMF spells them. */
export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault';

/** A scalar, enum or unsupported field: a column. */
export interface ScalarFieldMetadata {
  readonly name: string;
  /** The field's @map, else its name. */
  readonly column: string;
  readonly kind: 'scalar' | 'enum' | 'unsupported';
  /** Prisma type (Int, String, ...) or enum name. */
  readonly type: string;
  /** The @db. native type, e.g. 'Timestamptz(3)'; null without one. */
  readonly nativeType: string | null;
  readonly isList: boolean;
  readonly isRequired: boolean;
  /** Part of the primary key (@id or @@id). */
  readonly isId: boolean;
  /** Unique on its own (@unique or a one-field @@unique). */
  readonly isUnique: boolean;
  readonly isUpdatedAt: boolean;
  readonly hasDefaultValue: boolean;
}

/** Which side holds the foreign key: this model, the related one, or Prisma's implicit many-to-many join table. */
export type ForeignKeyHolder = 'this' | 'related' | 'joinTable';

/** A relation field. From/to fields describe the foreign key on both sides of the relation. */
export interface RelationMetadata {
  readonly name: string;
  /** The related model. */
  readonly model: string;
  readonly relationName: string;
  readonly isList: boolean;
  readonly isRequired: boolean;
  readonly foreignKeyHolder: ForeignKeyHolder;
  /** The foreign key's fields (on the model that holds it). */
  readonly relationFromFields: readonly string[];
  /** The referenced fields, in the same order. */
  readonly relationToFields: readonly string[];
  readonly fromColumns: readonly string[];
  readonly toColumns: readonly string[];
  /** onDelete as written in the schema; null when not written. */
  readonly relationOnDelete: ReferentialAction | null;
  /** onUpdate as written in the schema; null when not written. */
  readonly relationOnUpdate: ReferentialAction | null;
  /** Effective onDelete: as written, else Prisma's default (SetNull when optional, Restrict when required; NoAction on SQL Server); Cascade for an implicit many-to-many. */
  readonly onDelete: ReferentialAction;
  /** An implicit many-to-many relation's join table (_<relationName>; A references the model that sorts first); null otherwise. */
  readonly joinTable: JoinTableMetadata | null;
}

/** Prisma's join table of an implicit many-to-many relation; 'column' references this side (null for a self-relation). */
export interface JoinTableMetadata {
  readonly name: string;
  readonly column: 'A' | 'B' | null;
}

/** The field a cache entry is keyed by. */
export interface IdFieldMetadata {
  readonly name: string;
  readonly column: string;
  readonly type: string;
  /** 'id': the single-field @id; 'unique': a single-field unique named in the generator's idFields. */
  readonly source: 'id' | 'unique';
}

/** The field cache entries are compared and set on. */
export interface VersionFieldMetadata {
  readonly name: string;
  readonly column: string;
  readonly type: 'Int' | 'BigInt';
}

/** One model. */
export interface ModelMetadata {
  readonly name: string;
  /** Its table: @@map, else the model's name. */
  readonly dbName: string;
  /** @@schema, null without it. */
  readonly schema: string | null;
  readonly primaryKey: readonly string[];
  readonly primaryKeyColumns: readonly string[];
  readonly idField: IdFieldMetadata | null;
  readonly versionField: VersionFieldMetadata | null;
  /** Has both an id field and a version field. */
  readonly cacheable: boolean;
  readonly notCacheableReason: string | null;
  readonly fields: Readonly<Record<string, ScalarFieldMetadata>>;
  readonly relations: Readonly<Record<string, RelationMetadata>>;
}

/** One relation a delete travels along, from the deleted 'references' rows to the 'model' rows that point at them. */
export interface CascadeStep {
  readonly model: string;
  /** The relation field on 'model' that holds the foreign key. */
  readonly relation: string;
  readonly relationName: string;
  readonly references: string;
  readonly fields: readonly string[];
  readonly columns: readonly string[];
  readonly referencedFields: readonly string[];
  readonly referencedColumns: readonly string[];
  readonly onDelete: ReferentialAction;
}

/** What a reached row undergoes: deleted, set to null or to its default, or the delete fails while it exists. */
export type CascadeAction = 'delete' | 'setNull' | 'setDefault' | 'restrict' | 'noAction';

/** One way a delete reaches a model; 'cyclic': its last step re-enters a model on the path (repeat to a fixed point). */
export interface CascadePath {
  readonly model: string;
  readonly action: CascadeAction;
  readonly path: readonly CascadeStep[];
  readonly cyclic: boolean;
}

/** What deleting a model's rows reaches, transitively. */
export interface DeleteEffects {
  readonly deletes: readonly string[];
  readonly updates: readonly string[];
  readonly restrictedBy: readonly string[];
  readonly paths: readonly CascadePath[];
}

/** The whole metadata. */
export interface EntityMetadata {
  readonly versionField: string;
  readonly models: Readonly<Record<string, ModelMetadata>>;
  readonly cascades: Readonly<Record<string, DeleteEffects>>;
}
`;

/**
 * The emitted module's source text for `metadata`.
 *
 * Exports: the types above; `entityMetadata` (the data, `as const satisfies
 * EntityMetadata`); `models` and `cascades` (its two parts); `ModelName`;
 * `CacheableModelName` and `cacheableModels` (models with an id and a
 * version field).
 */
export function renderEntityModule(metadata: EntityMetadata, options: RenderOptions): string {
  const cacheable = Object.values(metadata.models)
    .filter((m) => m.cacheable)
    .map((m) => m.name);
  return `// Generated by prisma-write-through ${options.generatorVersion} (its Prisma generator) from the Prisma schema.
// Do not edit: \`prisma generate\` rewrites this file.
/* eslint-disable */

${TYPES}
/** Every model of the schema, with its ids, version field, columns, relations, and what deleting its rows reaches. */
export const entityMetadata = ${toTypeScriptLiteral(metadata)} as const satisfies EntityMetadata;

/** Every model, by name. */
export const models = entityMetadata.models;

/** For every model, what a delete of its rows reaches through the database's referential actions. */
export const cascades = entityMetadata.cascades;

/** The schema's model names. */
export type ModelName = keyof typeof entityMetadata.models;

/** The models the cache can hold: with an id field and a version field. */
export type CacheableModelName = { [K in ModelName]: (typeof entityMetadata.models)[K]['cacheable'] extends true ? K : never }[ModelName];

/** The cacheable models' names, sorted. */
export const cacheableModels = ${toTypeScriptLiteral(cacheable)} as const satisfies readonly CacheableModelName[];
`;
}
