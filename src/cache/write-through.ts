import { AsyncLocalStorage } from 'node:async_hooks';
import { createKeyBuilder } from './keys.js';
import type { CacheStats, CacheStore, CacheWrite, CachedEntity, EntityId } from './types.js';

/**
 * The write-through step, in one place: a Prisma Client extension.
 *
 * Every write on a cached model runs inside a unit of work (an interactive
 * transaction; a write outside one gets its own). The extension increments the
 * entity's `version`, records which entities changed, and, still inside the
 * transaction, reads them back as they will be committed. Only after COMMIT
 * does it write them to the cache, in one pipelined round trip of
 * compare-and-set calls. A rolled-back transaction writes nothing.
 */

/** Options of `withWriteThrough`. */
export interface WriteThroughOptions<Db> {
  /** Cached entities by name (the name is part of the cache key). */
  entities: Record<string, CachedEntity<Db, any>>;
  store: CacheStore;
  stats: CacheStats;
  /** Prefix of every cache key. @default "wt:" */
  namespace?: string;
  /** Time to live of cache entries, in seconds. @default 3600 */
  ttlSeconds?: number;
  /** Time to live of tombstones, in seconds; longer than any read can take. @default 3600 */
  tombstoneTtlSeconds?: number;
  /** Called when the cache write after a commit fails (the commit stands). */
  onWriteError?: (error: unknown, keys: string[]) => void;
}

/** Version written into a tombstone: above any version a row can reach, so no fill ever replaces it. */
export const TOMBSTONE_VERSION = Number.MAX_SAFE_INTEGER;

const WRITES = new Set([
  'create', 'createMany', 'createManyAndReturn',
  'update', 'updateMany', 'updateManyAndReturn', 'upsert',
  'delete', 'deleteMany',
]);

/** Nested-write verbs that change rows of the related model. */
const NESTED_WRITES = new Set([
  'create', 'createMany', 'connectOrCreate', 'update', 'updateMany', 'upsert',
  'delete', 'deleteMany', 'set', 'disconnect', 'connect',
]);

/** The changes one transaction makes to cached entities. */
interface UnitOfWork {
  tx: any;
  /** Entities written, by entity name: to be read back before commit. */
  touched: Map<string, Set<EntityId>>;
  /** Entities whose members changed: their version is incremented before commit. */
  bumped: Map<string, Set<EntityId>>;
  /** Entities deleted: a tombstone is written. */
  deleted: Map<string, Set<EntityId>>;
  /** Filled by `prepare`, written after commit. */
  writes: CacheWrite[];
}

/** What a Prisma model is to the cache. */
type ModelRole =
  | { kind: 'root'; entity: string; idField: string }
  | { kind: 'member'; entity: string; field: string };

/** Where a delete in one model cascades to. */
interface Cascade { entity: string; model: string; field: string; rootField: string; isRoot: boolean }

type Args = Record<string, any>;

function add(map: Map<string, Set<EntityId>>, entity: string, ids: Iterable<EntityId>) {
  let set = map.get(entity);
  if (!set) map.set(entity, (set = new Set()));
  for (const id of ids) if (id !== null && id !== undefined) set.add(id);
}

function delegateOf(tx: any, model: string) {
  return tx[model.charAt(0).toLowerCase() + model.slice(1)];
}

/** Adds `version: { increment: 1 }` unless the write sets the version itself. */
function bumpVersion(data: Args | undefined): Args {
  if (!data || 'version' in data) return data ?? {};
  return { ...data, version: { increment: 1 } };
}

/** Makes sure a `select`, if any, returns the fields the extension needs. */
function selecting(args: Args, ...fields: string[]): Args {
  if (!args.select) return args;
  const select = { ...args.select };
  for (const f of fields) select[f] = true;
  return { ...args, select };
}

/**
 * Wraps a Prisma Client so that every write on a cached model goes through
 * the cache after it commits. The returned client has the same type.
 */
export function withWriteThrough<Client extends { $extends: (...a: any[]) => any }, Db = Client>(
  base: Client,
  options: WriteThroughOptions<Db>,
): Client {
  const ttlSeconds = options.ttlSeconds ?? 3600;
  const tombstoneTtlSeconds = options.tombstoneTtlSeconds ?? 3600;
  const keyOf = createKeyBuilder(options.namespace ?? 'wt:');
  const { store, stats, entities } = options;
  const onWriteError = options.onWriteError ?? (() => {});
  const units = new AsyncLocalStorage<UnitOfWork>();

  // Index the configuration by Prisma model.
  const roles = new Map<string, ModelRole>();
  const cascades = new Map<string, Cascade[]>();
  for (const [entity, cfg] of Object.entries(entities)) {
    const idField = cfg.idField ?? 'id';
    roles.set(cfg.model, { kind: 'root', entity, idField });
    for (const [model, field] of Object.entries(cfg.members ?? {})) roles.set(model, { kind: 'member', entity, field });
    for (const [from, to] of Object.entries(cfg.cascades ?? {})) {
      const isRoot = to.model === cfg.model;
      const rootField = isRoot ? idField : cfg.members?.[to.model];
      if (!rootField) throw new Error(`cascade of ${entity} from ${from}: ${to.model} is neither ${cfg.model} nor one of its members`);
      cascades.set(from, [...(cascades.get(from) ?? []), { entity, model: to.model, field: to.field, rootField, isRoot }]);
    }
  }
  const dataModel = (base as any)._runtimeDataModel as
    | { models: Record<string, { fields: { name: string; kind: string; type: string }[] }> }
    | undefined;
  if (!dataModel) throw new Error('withWriteThrough: this Prisma Client exposes no runtime data model (unsupported Prisma version)');

  /**
   * Nested writes from `model` into another cached entity would change rows
   * that no operation result lists: refuse them with a clear message. Nested
   * writes into the entity's own members (a cart created with its items) are fine.
   */
  function assertNoForeignNestedWrites(model: string, data: unknown, ownEntity: string | undefined) {
    if (!data || typeof data !== 'object') return;
    for (const item of Array.isArray(data) ? data : [data]) {
      for (const field of dataModel!.models[model]?.fields ?? []) {
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

  /** Entities that a delete of these `model` rows cascades into; recorded before the delete runs. */
  async function recordCascades(unit: UnitOfWork, model: string, ids: EntityId[]) {
    if (ids.length === 0) return;
    for (const c of cascades.get(model) ?? []) {
      const rows: Args[] = await delegateOf(unit.tx, c.model).findMany({
        where: { [c.field]: { in: ids } },
        select: { [c.rootField]: true },
      });
      const roots = rows.map((r) => r[c.rootField] as EntityId);
      add(c.isRoot ? unit.touched : unit.bumped, c.entity, roots);
    }
  }

  async function writeRoot(unit: UnitOfWork, role: Extract<ModelRole, { kind: 'root' }>, model: string, operation: string, args: Args, query: (a: Args) => Promise<any>) {
    const { entity, idField } = role;
    const delegate = delegateOf(unit.tx, model);
    switch (operation) {
      case 'create':
      case 'createManyAndReturn':
      case 'update':
      case 'updateManyAndReturn':
      case 'upsert': {
        let next = selecting(args, idField);
        if (operation === 'update' || operation === 'updateManyAndReturn') next = { ...next, data: bumpVersion(args.data) };
        if (operation === 'upsert') next = { ...next, update: bumpVersion(args.update) };
        const result = await query(next);
        add(unit.touched, entity, (Array.isArray(result) ? result : [result]).map((r: Args) => r[idField]));
        return result;
      }
      // Counting forms are run in their returning form, so the changed rows are known exactly.
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
          const row = await delegate.findUnique({ where: args.where, select: { [idField]: true } });
          if (row) await recordCascades(unit, model, [row[idField]]);
        }
        const row = await query(selecting(args, idField));
        add(unit.deleted, entity, [row[idField]]);
        return row;
      }
      case 'deleteMany': {
        // There is no deleteManyAndReturn: find the ids, delete exactly those
        // that still match, then check which are really gone.
        const found: Args[] = await delegate.findMany({ where: args.where, select: { [idField]: true }, take: args.limit });
        const ids = found.map((r) => r[idField] as EntityId);
        await recordCascades(unit, model, ids);
        const result = await query({ where: { AND: [args.where ?? {}, { [idField]: { in: ids } }] } });
        const left: Args[] = await delegate.findMany({ where: { [idField]: { in: ids } }, select: { [idField]: true } });
        const kept = new Set(left.map((r) => r[idField] as EntityId));
        add(unit.deleted, entity, ids.filter((id) => !kept.has(id)));
        add(unit.touched, entity, kept);
        return result;
      }
    }
    throw new Error(`write-through: unhandled operation ${model}.${operation}`);
  }

  async function writeMember(unit: UnitOfWork, role: Extract<ModelRole, { kind: 'member' }>, model: string, operation: string, args: Args, query: (a: Args) => Promise<any>) {
    const { entity, field } = role;
    const delegate = delegateOf(unit.tx, model);
    const fromData = (data: unknown) => (Array.isArray(data) ? data : [data]).map((d: Args | undefined) => d?.[field] as EntityId);
    switch (operation) {
      case 'create':
      case 'createManyAndReturn':
      case 'upsert':
      case 'update':
      case 'updateManyAndReturn': {
        if (operation === 'upsert' || operation === 'update') {
          const before = await delegate.findUnique({ where: args.where, select: { [field]: true } });
          if (before) add(unit.bumped, entity, [before[field]]);
        }
        if (operation === 'updateManyAndReturn') {
          const before: Args[] = await delegate.findMany({ where: args.where, select: { [field]: true }, distinct: [field] });
          add(unit.bumped, entity, before.map((r) => r[field]));
        }
        const result = await query(selecting(args, field));
        add(unit.bumped, entity, (Array.isArray(result) ? result : [result]).map((r: Args) => r[field]));
        return result;
      }
      case 'createMany': {
        add(unit.bumped, entity, fromData(args.data));
        const rows = await delegate.createManyAndReturn({ ...args, select: { [field]: true } });
        return { count: rows.length };
      }
      case 'updateMany':
      case 'deleteMany': {
        // Restrict the write to the roots found first, so a member that appears
        // concurrently under another root is not changed without bumping it.
        const before: Args[] = await delegate.findMany({ where: args.where, select: { [field]: true }, distinct: [field] });
        const roots = before.map((r) => r[field] as EntityId);
        add(unit.bumped, entity, roots);
        if (operation === 'updateMany') add(unit.bumped, entity, fromData(args.data));
        const where = { AND: [args.where ?? {}, { [field]: { in: roots } }] };
        return query({ ...args, where });
      }
      case 'delete': {
        const row = await query(selecting(args, field));
        add(unit.bumped, entity, [row[field]]);
        return row;
      }
    }
    throw new Error(`write-through: unhandled operation ${model}.${operation}`);
  }

  /**
   * Runs inside the transaction, just before COMMIT: increments the version
   * of aggregates whose members changed, then reads back every touched entity.
   * Reading inside the transaction captures exactly what will commit.
   */
  async function prepare(unit: UnitOfWork) {
    for (const [entity, ids] of unit.bumped) {
      const already = unit.touched.get(entity);
      const pending = [...ids].filter((id) => !already?.has(id) && !unit.deleted.get(entity)?.has(id));
      if (pending.length === 0) continue;
      const cfg = entities[entity]!;
      const idField = cfg.idField ?? 'id';
      await delegateOf(unit.tx, cfg.model).updateMany({
        where: { [idField]: { in: pending } },
        data: { version: { increment: 1 } },
      });
      add(unit.touched, entity, pending); // also covers roots that no longer exist
    }
    for (const [entity, ids] of unit.touched) {
      const cfg = entities[entity]!;
      const idField = cfg.idField ?? 'id';
      const live = [...ids].filter((id) => !unit.deleted.get(entity)?.has(id));
      const rows = live.length ? await cfg.load(unit.tx as Db, live) : [];
      const found = new Set<EntityId>();
      for (const row of rows as Args[]) {
        found.add(row[idField]);
        unit.writes.push({ key: keyOf(entity, row[idField]), version: row.version, json: JSON.stringify(row), ttlSeconds });
      }
      add(unit.deleted, entity, live.filter((id) => !found.has(id)));
    }
    for (const [entity, ids] of unit.deleted) {
      for (const id of ids) unit.writes.push({ key: keyOf(entity, id), version: TOMBSTONE_VERSION, json: null, ttlSeconds: tombstoneTtlSeconds });
    }
  }

  /** Runs after COMMIT: one pipelined round trip. A failure leaves the commit standing. */
  async function publish(unit: UnitOfWork) {
    try {
      await store.write(unit.writes);
    } catch (error) {
      stats.writeFailures++;
      onWriteError(error, unit.writes.map((w) => w.key));
    }
  }

  let client: any;

  const hooked = base.$extends({
    name: 'write-through:hooks',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }: { model: string; operation: string; args: Args; query: (a: Args) => Promise<any> }) {
          if (!WRITES.has(operation)) return query(args);
          const role = roles.get(model);
          assertNoForeignNestedWrites(model, args.data ?? args.create, role?.entity);
          assertNoForeignNestedWrites(model, args.update, role?.entity);
          if (!role && !cascades.has(model)) return query(args);

          const unit = units.getStore();
          // A write outside a transaction gets one of its own, so that its
          // bookkeeping queries and the write commit together.
          if (!unit) return client.$transaction((tx: any) => delegateOf(tx, model)[operation](args));
          if (!unit.tx) {
            throw new Error(
              `write-through: ${model}.${operation} inside a batch $transaction([...]) is not supported; use an interactive $transaction(async (tx) => ...)`,
            );
          }
          if (!role) {
            // An uncached model whose deletes cascade into a cached entity.
            if (operation === 'delete' || operation === 'deleteMany') {
              const found: Args[] = operation === 'delete'
                ? [await delegateOf(unit.tx, model).findUnique({ where: args.where })].filter(Boolean)
                : await delegateOf(unit.tx, model).findMany({ where: args.where });
              await recordCascades(unit, model, found.map((r) => r.id));
            }
            return query(args);
          }
          return role.kind === 'root'
            ? writeRoot(unit, role, model, operation, args, query)
            : writeMember(unit, role, model, operation, args, query);
        },
      },
    },
  });

  client = hooked.$extends({
    name: 'write-through:transactions',
    client: {
      async $transaction(input: unknown, txOptions?: unknown) {
        const current = units.getStore();
        if (typeof input !== 'function') {
          // Batch transactions: allowed for reads and uncached writes; the hooks
          // refuse cached writes (there is no transaction client to work with).
          const marker: UnitOfWork = { tx: undefined, touched: new Map(), bumped: new Map(), deleted: new Map(), writes: [] };
          return units.run(marker, () => hooked.$transaction(input, txOptions));
        }
        // Prisma has no nested interactive transactions: join the current one.
        if (current?.tx) return (input as (tx: any) => unknown)(current.tx);

        const unit: UnitOfWork = { tx: undefined, touched: new Map(), bumped: new Map(), deleted: new Map(), writes: [] };
        const result = await hooked.$transaction(async (tx: any) => {
          unit.tx = tx;
          return units.run(unit, async () => {
            const value = await (input as (tx: any) => unknown)(tx);
            await prepare(unit);
            return value;
          });
        }, txOptions);
        // `hooked.$transaction` resolved: COMMIT succeeded. Only now may the cache see the change.
        await publish(unit);
        return result;
      },
    },
  });

  return client as Client;
}
