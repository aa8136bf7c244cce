/**
 * The alternatives the write-through API is benchmarked against, composed
 * from the prisma-write-through package's parts (its public entry, and its
 * `/testing` entry for the switches the product never uses) and put in place
 * of the product's cache by `createServices`'s `variant` (src/services.ts).
 * The same server, plugins, schema and resolvers: only the caching strategy
 * differs. scripts/bench/server.ts runs the API with one of them
 * (`BENCH_VARIANT`); without it, the API is the product (`write-through`).
 *
 * - `no-cache`: Prisma and batching DataLoaders, no Redis.
 * - `naive`: Prisma, no DataLoader batching or memoization (the N+1 baseline).
 * - `cache-aside`: loaders read Redis and fill it with plain SETs (no
 *   compare-and-set); writes delete the keys after COMMIT. No leases, no
 *   outbox: what most projects build, with the races those close.
 * - `ceiling`: the upper bound of this server stack, by construction. Its
 *   loaders answer from Maps of rows decoded at start (read with the entity's
 *   own `load`, passed through the cache entry's JSON like a hit, frozen): no
 *   store lookup, no JSON decode, no I/O while serving. Everything else a read
 *   goes through is the product's own (server, plugins, context and token check,
 *   resolvers, one DataLoader per entity and request, the same batch size, the
 *   same hit counters), so it does a strict subset of the write-through's work
 *   per read; no background work runs beside it either. With
 *   `BENCH_CEILING_PRELOAD` (a JSON file `{ "products": [ids], "users": [ids] }`,
 *   written by run-mode.ts) it holds only what the load reads (those products,
 *   those users, their carts and the carts' products), so its heap stays small
 *   and its garbage collection no dearer than the write-through's; without it,
 *   every row. A key it does not hold, and anything that would need the
 *   database (mutations, the products page), answers NOT_SUPPORTED_IN_MODE.
 */
import { readFileSync } from 'node:fs';
import DataLoader from 'dataloader';
import { createEntries, type CacheStore, type CachedEntity, type EntityId } from 'prisma-write-through';
import * as testing from 'prisma-write-through/testing';
import { cachedEntities, entityMetadata } from '../../src/db/entities.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ErrorCode, SafeError } from '../../src/graphql/errors.js';
import type { CachedLoaders, ServiceVariant, VariantParts } from '../../src/services.js';

/** The GraphQL error code of an operation the ceiling cannot answer (scripts/bench/probe.ts counts these as n/a). */
export const NOT_SUPPORTED_IN_MODE = 'NOT_SUPPORTED_IN_MODE';

/** The benchmark's variants by name (the `mode` label of their metrics). */
export const VARIANTS = {
  'no-cache': { name: 'no-cache', compose: (parts) => ({ db: parts.rawDb, loaders: loadersOn(parts, parts.rawDb, null) }) },
  naive: { name: 'naive', compose: (parts) => ({ db: parts.rawDb, loaders: loadersOn(parts, parts.rawDb, null, { batching: false }) }) },
  'cache-aside': {
    name: 'cache-aside',
    compose(parts) {
      const { redis, stats, rawDb } = parts;
      const plain = redis ? testing.createRedisStore({ redis, stats, compareAndSet: false }) : testing.createMemoryStore({ stats, compareAndSet: false });
      const db = testing.withWriteThrough(rawDb, {
        ...settingsOf(parts),
        store: plain,
        outbox: null,
        remedies: { leases: false, tombstones: false },
        publish: 'invalidate',
      });
      return { db, loaders: loadersOn(parts, db, plain) };
    },
  },
  ceiling: {
    name: 'ceiling',
    compose(parts) {
      const db = withoutDatabase(parts.rawDb);
      let rows: DecodedRows | null = null;
      const ready = decodeRows(parts.rawDb, preloadSpec()).then((decoded) => (rows = decoded));
      return {
        db,
        ready,
        loaders: () => {
          if (!rows) throw new Error('ceiling: not preloaded yet');
          return inMemoryLoaders(parts, rows);
        },
      };
    },
  },
} satisfies Record<string, ServiceVariant>;

export type VariantName = keyof typeof VARIANTS;

const settingsOf = ({ config, stats, observer }: VariantParts) => ({
  entities: cachedEntities,
  schema: entityMetadata,
  stats,
  observer,
  namespace: config.cacheNamespace,
  ttlSeconds: config.cacheTtlSeconds,
});

/** Loaders per request over `store` (null: straight to `db`), batching unless told otherwise. */
function loadersOn(parts: VariantParts, db: PrismaClient, store: CacheStore | null, { batching = true } = {}): () => CachedLoaders {
  // Made once per entity, as the package's own loaders are (keys and shapes computed once).
  const factory = (name: keyof typeof cachedEntities) =>
    testing.entityLoaderFactory({ ...settingsOf(parts), name, entity: cachedEntities[name] as CachedEntity<PrismaClient>, store, batching });
  const [user, product, cart] = [factory('User'), factory('Product'), factory('Cart')];
  return () => ({ User: user(db), Product: product(db), Cart: cart(db) }) as CachedLoaders;
}

const MODELS = new Set([
  'user',
  'product',
  'cart',
  'cartItem',
  'order',
  'orderItem',
  'cacheOutbox',
  '$transaction',
  '$queryRaw',
  '$executeRaw',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
]);

/** A client on which any database access fails with NOT_SUPPORTED_IN_MODE (the ceiling serves from memory only). */
function withoutDatabase(db: PrismaClient): PrismaClient {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (typeof property === 'string' && MODELS.has(property))
        throw notSupported('Not supported by the ceiling variant: it serves preloaded data only, with no database access');
      return Reflect.get(target, property, receiver);
    },
  });
}

/** What the ceiling holds: entity rows as a loader returns them (decoded), by id; null for an id known not to exist. */
type DecodedRows = Record<keyof typeof cachedEntities, Map<EntityId, object | null>>;

/** The ids the ceiling preloads (env `BENCH_CEILING_PRELOAD`, see the file's comment); null: every row. */
export interface CeilingPreload {
  products: number[];
  users: number[];
}

function preloadSpec(): CeilingPreload | null {
  const file = process.env.BENCH_CEILING_PRELOAD;
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as CeilingPreload) : null;
}

/** An error of the benchmark's own code, counted as n/a (scripts/bench/probe.ts). */
function notSupported(message: string): SafeError {
  const error = new SafeError(ErrorCode.BAD_REQUEST, message);
  // A code of the benchmark's own, not one of the API's (src/graphql/errors.ts).
  error.extensions.code = NOT_SUPPORTED_IN_MODE;
  return error;
}

/**
 * The ceiling's loaders: per request, like the product's, one batching
 * DataLoader per entity (the same largest batch), each batch counted as hits
 * (and observed) as the product's loader counts them; a batch is Map lookups.
 */
function inMemoryLoaders({ stats, observer }: VariantParts, rows: DecodedRows): CachedLoaders {
  const loader = (name: keyof typeof cachedEntities) => {
    const byId = rows[name];
    const byEntity = (stats.entities[name] ??= { hits: 0, misses: 0 });
    return new DataLoader<EntityId, object | null>(
      async (ids) => {
        const found = ids.map((id) => byId.get(id));
        const hits = found.filter((row) => row !== undefined).length;
        stats.hits += hits;
        byEntity.hits += hits;
        observer.loaderBatch?.(name, ids.length, hits);
        return found.map((row, i) =>
          row === undefined ? notSupported(`Not supported by the ceiling variant: ${name} ${String(ids[i])} was not preloaded`) : row,
        );
      },
      { maxBatchSize: LOADER_BATCH_SIZE },
    );
  };
  return { User: loader('User'), Product: loader('Product'), Cart: loader('Cart') } as unknown as CachedLoaders;
}

/** The product's loader's largest batch (prisma-write-through's createEntityLoader default). */
const LOADER_BATCH_SIZE = 1000;

/**
 * Reads the rows the ceiling holds (`spec`, or every row) with each entity's
 * own `load`, in chunks of `chunk` ids, and decodes each exactly as the
 * product's loader decodes a hit: the cache entry's JSON, parsed (dates as
 * strings). Rows are frozen: a resolver that changed one would fail, not
 * change the next request's answer.
 */
async function decodeRows(db: PrismaClient, spec: CeilingPreload | null, chunk = 5000): Promise<DecodedRows> {
  const entries = createEntries({ entities: cachedEntities, schema: entityMetadata, namespace: 'ceiling:', ttlSeconds: 30 * 24 * 3600 });
  const rows: DecodedRows = { User: new Map(), Product: new Map(), Cart: new Map() };
  const read = async (name: keyof typeof cachedEntities, ids: readonly EntityId[]) => {
    const entity: CachedEntity<PrismaClient> = cachedEntities[name];
    const idField = entity.idField ?? 'id';
    for (let at = 0; at < ids.length; at += chunk) {
      const part = ids.slice(at, at + chunk);
      for (const id of part) rows[name].set(id, null);
      for (const row of (await entity.load(db, part)) as Record<string, unknown>[]) {
        const id = row[idField] as EntityId;
        rows[name].set(id, deepFreeze(JSON.parse(entries.value(name, id, row).json!) as object));
      }
    }
  };
  const users = spec?.users ?? (await db.user.findMany({ select: { id: true } })).map((r) => r.id);
  await read('User', users);
  await read('Cart', spec ? users : (await db.cart.findMany({ select: { userId: true } })).map((r) => r.userId));
  // The products read by id, and every product in a cart held.
  const products = new Set(spec?.products ?? (await db.product.findMany({ select: { id: true } })).map((r) => r.id));
  for (const cart of rows.Cart.values()) for (const item of (cart as { items?: { productId: number }[] } | null)?.items ?? []) products.add(item.productId);
  await read('Product', [...products]);
  return rows;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child !== null && typeof child === 'object') deepFreeze(child as object);
  return Object.freeze(value);
}
