/**
 * The catalog's SQL, for `products(search, sort, first/after, last/before)`:
 * keyset pages that return only ids and sort keys (the products themselves
 * come through the cache: src/loaders), the COUNT of a search, and whether
 * a listing holds rows beyond a cursor.
 *
 * - Every order is total: its key, then the id (creation order) for ties.
 *   A page starts from a position (key, id) with a row comparison that walks
 *   a btree index from there, never OFFSET: the primary key for CREATED and
 *   NEWEST, ("priceCents", id) for PRICE and PRICE_DESC, (lower(name), id)
 *   for NAME (migration catalog_search). Backwards (`last`), the same index
 *   is walked the other way.
 * - A search is words, each of which must appear, case-insensitively, in the
 *   product's name, description or sku (`ILIKE '%word%'`, with `%`, `_` and
 *   `\` of the word taken literally), all three as one text: the expression
 *   of the trigram GIN index (pg_trgm) of migration catalog_search, written
 *   here exactly as there so that PostgreSQL uses it.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';

/** The orders of the catalog: GraphQL's `ProductSort`. */
export type CatalogSort = 'CREATED' | 'NEWEST' | 'PRICE' | 'PRICE_DESC' | 'NAME';

/**
 * Where a product stands in a listing: its sort key (`priceCents` for PRICE
 * and PRICE_DESC, `lower(name)` for NAME, null for CREATED and NEWEST, whose
 * key is the id) and its id.
 */
export interface CatalogPosition {
  key: number | string | null;
  id: number;
}

/** A page to read: the listing (search words, order), its bounds, and how many rows from which end. */
export interface CatalogPageRequest {
  /** Every word must match (see `searchCondition`); none: the whole catalog. */
  words: readonly string[];
  sort: CatalogSort;
  /** Rows to return, 1 or more. */
  size: number;
  /** The last `size` rows of the window (`last`) instead of the first (`first`). */
  fromEnd: boolean;
  /** Only rows after this position (`after`). */
  after?: CatalogPosition | undefined;
  /** Only rows before this position (`before`). */
  before?: CatalogPosition | undefined;
}

/** A page's rows in the listing's order, and Relay's `hasNextPage` and `hasPreviousPage`, exact. */
export interface CatalogPage {
  rows: CatalogPosition[];
  /** Known from the page itself, or, when it takes an EXISTS query, a function running it on its first call only. */
  hasNextPage: PageFlag;
  hasPreviousPage: PageFlag;
}

/**
 * A flag of Relay's `pageInfo`: a boolean, or a function that asks PostgreSQL (once, however often
 * called). GraphQL's default resolver calls a function it finds in a field, so the query runs only
 * when the client selects the flag.
 */
export type PageFlag = boolean | (() => Promise<boolean>);

/** Runs raw SQL: the Prisma Client, with or without the write-through extension. */
export type RawQueryable = Pick<PrismaClient, '$queryRaw'>;

interface SortSpec {
  /** The key's expression, before the id; null when the id alone is the key. */
  key: Prisma.Sql | null;
  /** The SQL type a cursor's key is cast to (the key's own type, so that the index applies). */
  keyType: 'int' | 'text' | null;
  descending: boolean;
}

const PRICE = Prisma.raw('"priceCents"');
const LOWER_NAME = Prisma.raw('lower("name")');

const SORTS: Record<CatalogSort, SortSpec> = {
  CREATED: { key: null, keyType: null, descending: false },
  NEWEST: { key: null, keyType: null, descending: true },
  PRICE: { key: PRICE, keyType: 'int', descending: false },
  PRICE_DESC: { key: PRICE, keyType: 'int', descending: true },
  NAME: { key: LOWER_NAME, keyType: 'text', descending: false },
};

/** The type of a sort's key in a cursor: `int`, `text`, or null when the id alone is the key. */
export const sortKeyType = (sort: CatalogSort): 'int' | 'text' | null => SORTS[sort].keyType;

/** The text the search index holds: exactly the expression of "Product_search_trgm_idx". */
const SEARCH_TEXT = Prisma.raw(`("name" || ' ' || "description" || ' ' || "sku")`);

/** A LIKE pattern matching `word` anywhere, with its `%`, `_` and `\` taken literally (escaped with `\`). */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, '\\$&')}%`;
}

/** Every word somewhere in the name, description or sku, in any case; TRUE without words. */
export function searchCondition(words: readonly string[]): Prisma.Sql {
  if (words.length === 0) return Prisma.sql`TRUE`;
  return Prisma.join(
    words.map((word) => Prisma.sql`${SEARCH_TEXT} ILIKE ${containsPattern(word)} ESCAPE '\\'`),
    ' AND ',
  );
}

type Comparison = '<' | '<=' | '>' | '>=';
const REVERSED: Record<Comparison, Comparison> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/**
 * Rows that come `comparison` `position` in the listing's order (`>`: after
 * it): one row comparison on (key, id), which a btree index on the same
 * columns serves as a range.
 */
function relativeTo(spec: SortSpec, comparison: Comparison, position: CatalogPosition): Prisma.Sql {
  const op = Prisma.raw(spec.descending ? REVERSED[comparison] : comparison);
  if (!spec.key) return Prisma.sql`"id" ${op} ${position.id}::int`;
  const key = spec.keyType === 'int' ? Prisma.sql`${position.key}::int` : Prisma.sql`${position.key}::text`;
  return Prisma.sql`(${spec.key}, "id") ${op} (${key}, ${position.id}::int)`;
}

/** The ids (and keys) of a page, `size + 1` at most (the extra row says there is more), from the window's start, or from its end (then in reverse). */
export function pageQuery(request: CatalogPageRequest): Prisma.Sql {
  const spec = SORTS[request.sort];
  const conditions = [searchCondition(request.words)];
  if (request.after) conditions.push(relativeTo(spec, '>', request.after));
  if (request.before) conditions.push(relativeTo(spec, '<', request.before));
  const direction = Prisma.raw(spec.descending !== request.fromEnd ? 'DESC' : 'ASC');
  const order = spec.key ? Prisma.sql`${spec.key} ${direction}, "id" ${direction}` : Prisma.sql`"id" ${direction}`;
  return Prisma.sql`SELECT "id", ${spec.key ?? Prisma.sql`NULL`} AS "key" FROM "Product"
    WHERE ${Prisma.join(conditions, ' AND ')} ORDER BY ${order} LIMIT ${request.size + 1}::int`;
}

/** Whether any row of the search lies `comparison` `position` (`<=`: at or before it). */
export function existsQuery(words: readonly string[], sort: CatalogSort, comparison: Comparison, position: CatalogPosition): Prisma.Sql {
  return Prisma.sql`SELECT EXISTS (SELECT 1 FROM "Product" WHERE ${searchCondition(words)} AND ${relativeTo(SORTS[sort], comparison, position)}) AS "exists"`;
}

/** The number of products matching the search words (all of them without words). */
export function countQuery(words: readonly string[]): Prisma.Sql {
  return Prisma.sql`SELECT count(*)::int AS "count" FROM "Product" WHERE ${searchCondition(words)}`;
}

async function exists(db: RawQueryable, words: readonly string[], sort: CatalogSort, comparison: Comparison, position: CatalogPosition) {
  const [row] = await db.$queryRaw<{ exists: boolean }[]>(existsQuery(words, sort, comparison, position));
  return row?.exists === true;
}

/**
 * Reads a page: its rows in the listing's order, and the page info as
 * Relay's algorithm defines it, exactly: `hasNextPage` if the window holds
 * more than `first` rows, or rows lie at or after `before`;
 * `hasPreviousPage` if it holds more than `last`, or rows lie at or before
 * `after`. One query for the page; the EXISTS a flag may need (one per
 * cursor given) runs only if that flag is asked for (`PageFlag`).
 */
export async function findCatalogPage(db: RawQueryable, request: CatalogPageRequest): Promise<CatalogPage> {
  const { words, sort, size, fromEnd, after, before } = request;
  const fetched = await db.$queryRaw<CatalogPosition[]>(pageQuery(request));
  const more = fetched.length > size;
  const rows = fetched.slice(0, size);
  if (fromEnd) rows.reverse();
  const lazily = (ask: () => Promise<boolean>): PageFlag => {
    let answer: Promise<boolean> | undefined;
    return () => (answer ??= ask());
  };
  return {
    rows,
    hasNextPage: !fromEnd && more ? true : before ? lazily(() => exists(db, words, sort, '>=', before)) : false,
    hasPreviousPage: fromEnd && more ? true : after ? lazily(() => exists(db, words, sort, '<=', after)) : false,
  };
}

/** Counts the products matching the search words: one COUNT. */
export async function countCatalog(db: RawQueryable, words: readonly string[]): Promise<number> {
  const [row] = await db.$queryRaw<{ count: number }[]>(countQuery(words));
  return row?.count ?? 0;
}
