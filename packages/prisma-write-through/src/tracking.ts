/**
 * Which cached entities a write changes. Runs inside the writer's transaction:
 * it rewrites operations so their changed rows are known exactly, increments
 * versions, and at the end reads the changed entities back as they will commit.
 */
import { MARK_OWN_WRITES_SQL } from './capture.js';
import { assertCacheableId } from './keys.js';
import type { ResolvedSchema } from './schema.js';
import type { CachedEntity, EntityId } from './types.js';

type Args = Record<string, any>;
type Query = (args: Args) => Promise<any>;

/** The entities one transaction changed; filled while it runs. */
export interface ChangeSet {
  /** The transaction client (hooked, so nested bookkeeping queries are tracked too). */
  tx: any;
  /** Entities written directly, by entity name. */
  touched: Map<string, Set<EntityId>>;
  /** Aggregates whose members changed: their version is incremented before commit. */
  bumped: Map<string, Set<EntityId>>;
  /** Entities deleted. */
  deleted: Map<string, Set<EntityId>>;
  /**
   * Entities (with `row`) as their last write in this transaction returned
   * them: their read-back. A later write that does not return the row drops it.
   */
  rows: Map<string, Map<EntityId, Args>>;
  /** Entities that raw statements changed, as `touch` declared them; sorted out before COMMIT (`collect`). */
  declared: Map<string, Set<EntityId>>;
  /**
   * The transaction marked as the extension's own (`MARK_OWN_WRITES_SQL`: the
   * change-capture trigger records nothing in it); set before its first write.
   */
  ownWrites?: Promise<void>;
  /** Set when `collect` starts: too late to declare anything. */
  collecting?: boolean;
}

/** The change sets of transactions in progress, by their transaction client (for `touch`). */
const changeSets = new WeakMap<object, ChangeSet>();

/** A new change set for the transaction whose client is `tx`; `touch(tx, ...)` finds it. */
export function createChangeSet(tx: any): ChangeSet {
  const changes: ChangeSet = { tx, touched: new Map(), bumped: new Map(), deleted: new Map(), rows: new Map(), declared: new Map() };
  changeSets.set(tx, changes);
  return changes;
}

/** Marks the transaction as the extension's own, once, before its first write (every later write awaits the same promise). */
function markOwnWrites(changes: ChangeSet): Promise<void> {
  return (changes.ownWrites ??= Promise.resolve(changes.tx.$executeRawUnsafe(MARK_OWN_WRITES_SQL)).then(() => undefined));
}

/**
 * Declares that raw SQL in a write-through transaction changed (or deleted)
 * these entities, so they are published after COMMIT like any other write:
 * read back before COMMIT (a root entity's version was raised by the
 * change-capture trigger; an aggregate with members gets its version raised
 * then), leased, recorded in the outbox, published; a missing one becomes a
 * tombstone. The capture trigger records nothing in such a transaction, so a
 * raw write nobody declares is not published at all.
 *
 * `tx` is the client of the interactive transaction
 * (`db.$transaction(async (tx) => { await touch(tx, 'Product', [id]); await tx.$executeRaw`...`; })`);
 * `entity` a cached entity's name (for a member row, its root: `'Cart'` for a
 * cart item), `ids` its ids (numbers or strings, as in the cache keys).
 * Call it before the raw statement: it marks the transaction as the
 * extension's own first (one round trip, once per transaction), so the
 * trigger does not also record the statement for the reconciler (which would
 * publish it a second time, harmlessly). Resolves once marked.
 *
 * Throws a `TypeError` when `tx` is not the client of a write-through
 * transaction still in progress, or an id cannot be part of a cache key; an
 * `entity` that is not cached fails the transaction before COMMIT.
 */
export async function touch(tx: object, entity: string, ids: readonly EntityId[]): Promise<void> {
  const changes = changeSets.get(tx);
  if (!changes) throw new TypeError('touch: `tx` must be the client of a write-through interactive transaction (db.$transaction(async (tx) => ...))');
  if (changes.collecting) throw new TypeError('touch: the transaction is already committing (or has ended)');
  for (const id of ids) assertCacheableId(id);
  add(changes.declared, entity, ids);
  await markOwnWrites(changes);
}

/**
 * One changed entity as it will commit: `row` is the entity as its `load`
 * reads it, `null` when it no longer exists, `undefined` when not read back.
 */
export interface Change {
  entity: string;
  id: EntityId;
  row?: Args | null;
}

export const WRITE_OPERATIONS = new Set([
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
]);

/** Nested-write verbs that change rows of the related model. */
const NESTED_WRITES = new Set([
  'create',
  'createMany',
  'connectOrCreate',
  'update',
  'updateMany',
  'upsert',
  'delete',
  'deleteMany',
  'set',
  'disconnect',
  'connect',
]);

/** What a Prisma model is to the cache. */
type ModelRole = { kind: 'root'; entity: string; idField: string; versionField: string } | { kind: 'member'; entity: string; field: string };

/**
 * Where a delete in one model cascades to: rows of `model` whose `field`
 * holds the deleted rows' `references` (read from them before the delete).
 */
interface Cascade {
  entity: string;
  model: string;
  field: string;
  references: string;
  referencesColumn: string;
  rootField: string;
  isRoot: boolean;
}

function add(map: Map<string, Set<EntityId>>, entity: string, ids: Iterable<EntityId>) {
  let set = map.get(entity);
  if (!set) map.set(entity, (set = new Set()));
  for (const id of ids) if (id !== null && id !== undefined) set.add(id);
}

/** Ids in one total order (numbers numerically), so that every writer locks rows in the same order. */
function compareIds(a: EntityId, b: EntityId): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function delegateOf(tx: any, model: string) {
  return tx[model.charAt(0).toLowerCase() + model.slice(1)];
}

/** Records entities written directly, with the rows the write returned (whole, as the entity) or without. */
function touchRows(changes: ChangeSet, entity: string, ids: Iterable<EntityId>, rows?: Args[]) {
  const list = [...ids];
  add(changes.touched, entity, list);
  let known = changes.rows.get(entity);
  if (!known) changes.rows.set(entity, (known = new Map()));
  list.forEach((id, i) => (rows ? known.set(id, rows[i]!) : known.delete(id)));
}

/** The fields of `row` that `keep` keeps. */
function fieldsOf(row: Args, keep: (name: string) => boolean): Args {
  return Object.fromEntries(Object.entries(row).filter(([name]) => keep(name)));
}

/** Adds `{ [versionField]: { increment: 1 } }` unless the write sets the version itself. */
function bumpVersion(data: Args | undefined, versionField: string): Args {
  if (!data || versionField in data) return data ?? {};
  return { ...data, [versionField]: { increment: 1 } };
}

/** Makes sure a `select`, if any, returns the fields the tracker needs. */
function selecting(args: Args, ...fields: string[]): Args {
  if (!args.select) return args;
  const select = { ...args.select };
  for (const f of fields) select[f] = true;
  return { ...args, select };
}

export interface WriteTrackerOptions {
  entities: Record<string, CachedEntity<any, any>>;
  /** The schema facts and derived cascades (schema.ts). */
  schema: ResolvedSchema;
  /**
   * Track `updateMany`, `deleteMany` and `createMany` row by row. Only tests
   * turn this off, to show the stale entries bulk writes leave without it. @default true
   */
  trackBulkWrites?: boolean;
}

export function createWriteTracker({ entities, schema, trackBulkWrites = true }: WriteTrackerOptions) {
  // Index the configuration by Prisma model.
  const roles = new Map<string, ModelRole>();
  const cascades = new Map<string, Cascade[]>();
  /** The version field of each entity's root model, whatever its name (checked by resolveSchema). */
  const versionFieldOf = (entity: string) => schema.models[entities[entity]!.model]!.versionField!;
  for (const [entity, cfg] of Object.entries(entities)) {
    const idField = cfg.idField ?? 'id';
    if (cfg.row && cfg.members) throw new Error(`${entity}: an entity with members is more than one row; remove its \`row\` option`);
    roles.set(cfg.model, { kind: 'root', entity, idField, versionField: versionFieldOf(entity) });
    for (const [model, field] of Object.entries(cfg.members ?? {})) roles.set(model, { kind: 'member', entity, field });
  }
  // Derived from the schema's onDelete actions (schema.ts), never declared by hand.
  for (const { from, entity, model, field, references, referencesColumn } of schema.cascades) {
    const cfg = entities[entity]!;
    const isRoot = model === cfg.model;
    const rootField = isRoot ? (cfg.idField ?? 'id') : cfg.members![model]!;
    cascades.set(from, [...(cascades.get(from) ?? []), { entity, model, field, references, referencesColumn, rootField, isRoot }]);
  }
  /** What to read of a `model` row before deleting it: `idField`, and the fields its cascades' foreign keys reference. */
  const beforeDelete = (model: string, idField: string) =>
    Object.fromEntries([idField, ...(cascades.get(model) ?? []).map((c) => c.references)].map((name) => [name, true]));

  /** Raises the version of these entities (which locks their root rows), in id order. */
  async function raiseVersions(changes: ChangeSet, entity: string, ids: EntityId[]) {
    const cfg = entities[entity]!;
    await delegateOf(changes.tx, cfg.model).updateMany({
      where: { [cfg.idField ?? 'id']: { in: [...ids].sort(compareIds) } },
      data: { [versionFieldOf(entity)]: { increment: 1 } },
    });
  }

  /**
   * Nested writes from `model` into another cached entity would change rows
   * that no operation result lists: refuse them with a clear message. Nested
   * writes into the entity's own members (a cart created with its items) are fine.
   */
  function assertNoForeignNestedWrites(model: string, data: unknown, ownEntity: string | undefined) {
    if (!data || typeof data !== 'object') return;
    for (const item of Array.isArray(data) ? data : [data]) {
      for (const field of schema.models[model]?.fields ?? []) {
        const nested = (item as Args)[field.name];
        if (field.kind !== 'object' || !nested || typeof nested !== 'object') continue;
        const target = roles.get(field.type);
        for (const [verb, inner] of Object.entries(nested as Args)) {
          if (!NESTED_WRITES.has(verb)) continue;
          if (target && target.entity !== ownEntity && !(verb === 'connect' && target.kind === 'root')) {
            throw new Error(
              `write-through: nested "${verb}" of ${field.type} through ${model}.${field.name} is not supported; ` +
                `write ${field.type} with its own operation so its cache entry stays exact`,
            );
          }
          for (const key of ['data', 'create', 'update']) assertNoForeignNestedWrites(field.type, (inner as Args)?.[key], ownEntity);
          if (verb === 'create' || verb === 'createMany') assertNoForeignNestedWrites(field.type, inner, ownEntity);
        }
      }
    }
  }

  /**
   * Entities that a delete of these `model` rows (read with `beforeDelete`:
   * the fields the cascades' foreign keys reference) cascades into; recorded
   * before the delete runs.
   */
  async function recordCascades(changes: ChangeSet, model: string, deleted: Args[]) {
    if (deleted.length === 0) return;
    /** The values of `field` in the deleted rows: what the reached rows' foreign keys hold. */
    const valuesOf = (field: string) => [...new Set(deleted.map((r) => r[field]).filter((v) => v !== null && v !== undefined))];
    const roots = async (c: Cascade) => {
      const rows: Args[] = await delegateOf(changes.tx, c.model).findMany({
        where: { [c.field]: { in: valuesOf(c.references) } },
        select: { [c.rootField]: true },
      });
      return [...new Set(rows.map((r) => r[c.rootField] as EntityId))];
    };
    /** Bumps (and so locks) the aggregates not yet bumped by this transaction. */
    const bump = async (c: Cascade, found: EntityId[]) => {
      const pending = found.filter((id) => !changes.touched.get(c.entity)?.has(id));
      if (pending.length > 0) await raiseVersions(changes, c.entity, pending);
    };
    const intoMembers = (cascades.get(model) ?? []).filter((c) => !c.isRoot);
    for (const c of cascades.get(model) ?? []) {
      if (c.isRoot) touchRows(changes, c.entity, await roots(c));
      // Aggregates first, BEFORE the deleted rows are locked: writers of an aggregate lock its
      // root and then the rows its members point to (a checkout locks the cart, then the
      // products), so the opposite order would deadlock with them.
      else await bump(c, await roots(c));
    }
    if (intoMembers.length === 0) return;
    // Then lock the rows to delete as the DELETE will (FOR UPDATE), so no new member can point
    // at them any more (inserting one needs FOR KEY SHARE on them), and look again: a member
    // added since the first look (its writer committed meanwhile, or we waited for it) belongs
    // to an aggregate that must be bumped too, or the cascade would change it behind the cache.
    // By the referenced columns (any unique field, not necessarily the model's id): every row some
    // member could point at is locked.
    const referenced = new Map(intoMembers.map((c) => [c.references, c.referencesColumn]));
    for (const [field, column] of referenced) await lockForDelete(changes.tx, model, column, valuesOf(field));
    for (const c of intoMembers) await bump(c, await roots(c));
  }

  /** `SELECT ... FOR UPDATE` of the rows of `model` whose `column` holds one of `values` (the lock a DELETE takes); table and column as mapped. */
  async function lockForDelete(tx: any, model: string, column: string, values: unknown[]) {
    if (values.length === 0) return;
    const table = schema.models[model]?.table ?? model;
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const list = values.map((_, i) => `$${i + 1}`).join(', ');
    await tx.$queryRawUnsafe(`SELECT 1 AS "locked" FROM ${quote(table)} WHERE ${quote(column)} IN (${list}) FOR UPDATE`, ...values);
  }

  /**
   * Whether a write's result can be widened to the whole row and narrowed back
   * for its caller: no relations in it (no `include`, a `select` or `omit` of
   * this model's scalar fields only).
   */
  function scalarsOnly(model: string, args: Args): boolean {
    if (args.include) return false;
    const fields = schema.models[model]?.fields;
    const scalar = (name: string) => fields?.some((f) => f.name === name && f.kind !== 'object') ?? false;
    return [args.select, args.omit].every((shape) => !shape || Object.entries(shape).every(([name, on]) => typeof on === 'boolean' && scalar(name)));
  }

  /** The caller's view of a whole row: its `select` or `omit` applied. */
  function narrow(row: Args, args: Args): Args {
    if (args.select) return fieldsOf(row, (name) => args.select[name] === true);
    if (args.omit) return fieldsOf(row, (name) => args.omit[name] !== true);
    return row;
  }

  async function writeRoot(changes: ChangeSet, role: Extract<ModelRole, { kind: 'root' }>, model: string, operation: string, args: Args, query: Query) {
    const { entity, idField, versionField } = role;
    const delegate = delegateOf(changes.tx, model);
    switch (operation) {
      case 'create':
      case 'createManyAndReturn':
      case 'update':
      case 'updateManyAndReturn':
      case 'upsert': {
        // An entity that is one row: the write returns it whole, and that is its read-back.
        const row = entities[entity]!.row;
        const whole = row !== undefined && scalarsOnly(model, args);
        const { select: _select, omit: _omit, ...wholeRow } = args;
        let next = whole ? wholeRow : selecting(args, idField);
        if (operation === 'update' || operation === 'updateManyAndReturn') next = { ...next, data: bumpVersion(args.data, versionField) };
        if (operation === 'upsert') next = { ...next, update: bumpVersion(args.update, versionField) };
        const result = await query(next);
        const rows: Args[] = Array.isArray(result) ? result : [result];
        const ids = rows.map((r) => r[idField] as EntityId);
        if (!whole) {
          touchRows(changes, entity, ids);
          return result;
        }
        const omitted = new Set(row.omit ?? []);
        touchRows(
          changes,
          entity,
          ids,
          rows.map((r) => fieldsOf(r, (name) => !omitted.has(name))),
        );
        return Array.isArray(result) ? rows.map((r) => narrow(r, args)) : narrow(result, args);
      }
      // Counting forms run in their returning form (through these hooks again), so the changed rows are known exactly.
      case 'createMany': {
        const rows = await delegate.createManyAndReturn({ ...args, select: { [idField]: true } });
        return { count: rows.length };
      }
      case 'updateMany': {
        const rows = await delegate.updateManyAndReturn({ ...args, select: { [idField]: true } });
        return { count: rows.length };
      }
      case 'delete': {
        if (cascades.has(model)) {
          const row = await delegate.findUnique({ where: args.where, select: beforeDelete(model, idField) });
          if (row) await recordCascades(changes, model, [row]);
        }
        const row = await query(selecting(args, idField));
        add(changes.deleted, entity, [row[idField]]);
        return row;
      }
      case 'deleteMany': {
        // There is no deleteManyAndReturn: find the ids, delete exactly those
        // that still match, then check which are really gone.
        const found: Args[] = await delegate.findMany({ where: args.where, select: beforeDelete(model, idField), take: args.limit });
        const ids = found.map((r) => r[idField] as EntityId);
        await recordCascades(changes, model, found);
        const result = await query({ where: { AND: [args.where ?? {}, { [idField]: { in: ids } }] } });
        const left: Args[] = await delegate.findMany({ where: { [idField]: { in: ids } }, select: { [idField]: true } });
        const kept = new Set(left.map((r) => r[idField] as EntityId));
        add(
          changes.deleted,
          entity,
          ids.filter((id) => !kept.has(id)),
        );
        touchRows(changes, entity, kept);
        return result;
      }
    }
    throw new Error(`write-through: unhandled operation ${model}.${operation}`);
  }

  async function writeMember(changes: ChangeSet, role: Extract<ModelRole, { kind: 'member' }>, model: string, operation: string, args: Args, query: Query) {
    const { entity, field } = role;
    const delegate = delegateOf(changes.tx, model);
    const fromData = (data: unknown) => (Array.isArray(data) ? data : [data]).map((d: Args | undefined) => d?.[field] as EntityId);
    switch (operation) {
      case 'create':
      case 'createManyAndReturn':
      case 'upsert':
      case 'update':
      case 'updateManyAndReturn': {
        if (operation === 'upsert' || operation === 'update') {
          const before = await delegate.findUnique({ where: args.where, select: { [field]: true } });
          if (before) add(changes.bumped, entity, [before[field]]);
        }
        if (operation === 'updateManyAndReturn') {
          const before: Args[] = await delegate.findMany({ where: args.where, select: { [field]: true }, distinct: [field] });
          add(
            changes.bumped,
            entity,
            before.map((r) => r[field]),
          );
        }
        const result = await query(selecting(args, field));
        add(
          changes.bumped,
          entity,
          (Array.isArray(result) ? result : [result]).map((r: Args) => r[field]),
        );
        return result;
      }
      case 'createMany': {
        add(changes.bumped, entity, fromData(args.data));
        const rows = await delegate.createManyAndReturn({ ...args, select: { [field]: true } });
        return { count: rows.length };
      }
      case 'updateMany':
      case 'deleteMany': {
        // Restrict the write to the roots found first, so a member that appears
        // concurrently under another root is not changed without bumping it.
        const before: Args[] = await delegate.findMany({ where: args.where, select: { [field]: true }, distinct: [field] });
        const roots = before.map((r) => r[field] as EntityId);
        add(changes.bumped, entity, roots);
        if (operation === 'updateMany') add(changes.bumped, entity, fromData(args.data));
        return query({ ...args, where: { AND: [args.where ?? {}, { [field]: { in: roots } }] } });
      }
      case 'delete': {
        const row = await query(selecting(args, field));
        add(changes.bumped, entity, [row[field]]);
        return row;
      }
    }
    throw new Error(`write-through: unhandled operation ${model}.${operation}`);
  }

  return {
    /** Does a write on this model concern the cache at all? */
    involves: (model: string) => roles.has(model) || cascades.has(model),

    /** Refuses nested writes that would change another cached entity behind the cache's back. */
    checkNestedWrites(model: string, args: Args) {
      const own = roles.get(model)?.entity;
      assertNoForeignNestedWrites(model, args.data ?? args.create, own);
      assertNoForeignNestedWrites(model, args.update, own);
    },

    /** Runs one write inside the transaction of `changes`, recording what it changes. */
    async track(changes: ChangeSet, model: string, operation: string, args: Args, query: Query) {
      await markOwnWrites(changes);
      const role = roles.get(model);
      if (!trackBulkWrites && /Many$/.test(operation)) return query(args);
      if (!role) {
        // An uncached model whose deletes cascade into a cached entity: its rows are read whole
        // (whatever field the cascades' foreign keys reference, its id or another unique).
        if (operation === 'delete' || operation === 'deleteMany') {
          const delegate = delegateOf(changes.tx, model);
          const found: Args[] =
            operation === 'delete' ? [await delegate.findUnique({ where: args.where })].filter(Boolean) : await delegate.findMany({ where: args.where });
          await recordCascades(changes, model, found);
        }
        return query(args);
      }
      return role.kind === 'root' ? writeRoot(changes, role, model, operation, args, query) : writeMember(changes, role, model, operation, args, query);
    },

    /**
     * Just before COMMIT: increments the version of aggregates whose members
     * changed, then reads back every changed entity inside the transaction,
     * which captures exactly what will commit (without `readBack`, only which
     * entities changed: rows come back null).
     */
    async collect(changes: ChangeSet, { readBack = true } = {}): Promise<Change[]> {
      changes.collecting = true;
      // Declared by `touch`: an aggregate gets its version raised (raw SQL changed its members, or
      // its root, whose trigger raised it already: twice is harmless); any other entity is read back.
      for (const [entity, ids] of changes.declared) {
        if (!entities[entity]) throw new Error(`touch: ${JSON.stringify(entity)} is not a cached entity (${Object.keys(entities).join(', ')})`);
        if (entities[entity]!.members) add(changes.bumped, entity, ids);
        else touchRows(changes, entity, ids);
      }
      for (const [entity, ids] of changes.bumped) {
        const pending = [...ids].filter((id) => !changes.touched.get(entity)?.has(id) && !changes.deleted.get(entity)?.has(id));
        if (pending.length === 0) continue;
        await raiseVersions(changes, entity, pending);
        touchRows(changes, entity, pending); // also covers roots that no longer exist
      }
      const result: Change[] = [];
      for (const [entity, ids] of changes.touched) {
        const cfg = entities[entity]!;
        const idField = cfg.idField ?? 'id';
        const live = [...ids].filter((id) => !changes.deleted.get(entity)?.has(id));
        if (!readBack) {
          for (const id of live) result.push({ entity, id, row: undefined });
          continue;
        }
        // Rows their last write returned whole need no second read.
        const returned = changes.rows.get(entity) ?? new Map<EntityId, Args>();
        const unread = live.filter((id) => !returned.has(id));
        const known = live.filter((id) => returned.has(id)).map((id) => returned.get(id)!);
        const rows: Args[] = [...known, ...(unread.length ? await cfg.load(changes.tx, unread) : [])];
        const found = new Set<EntityId>();
        for (const row of rows) {
          found.add(row[idField]);
          result.push({ entity, id: row[idField], row });
        }
        add(
          changes.deleted,
          entity,
          live.filter((id) => !found.has(id)),
        );
      }
      for (const [entity, ids] of changes.deleted) for (const id of ids) result.push({ entity, id, row: null });
      return result;
    },
  };
}
