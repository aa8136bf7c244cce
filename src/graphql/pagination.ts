/**
 * Relay cursor connections. Cursors are opaque: over integer keys (orders),
 * base64url of `cursor:<id>`; over a sorted and searched listing (the
 * catalog), base64url of the listing's identity and the row's sort key and
 * id (`toListingCursor`). `first` and `last` are capped.
 */
import { createHash } from 'node:crypto';
import { badInput } from './errors.js';
import { LIMITS } from './validate.js';

export function toCursor(id: number): string {
  return Buffer.from(`cursor:${id}`).toString('base64url');
}

export function fromCursor(cursor: string): number {
  const match = /^cursor:([1-9][0-9]{0,9})$/.exec(Buffer.from(cursor.slice(0, 64), 'base64url').toString());
  // Ids are PostgreSQL INT4: a cursor past that range names no row (and would overflow the query).
  if (!match || Number(match[1]) > 2147483647)
    throw badInput(`after must be a cursor from pageInfo.endCursor, got ${JSON.stringify(cursor.slice(0, 80))}`, { argument: 'after' });
  return Number(match[1]);
}

/** Pages hold this many items when the client does not say. */
const DEFAULT_PAGE_SIZE = 20;

/** `first` or `last`: 1 to the page cap; BAD_USER_INPUT naming the argument otherwise. */
function pageSizeArg(argument: 'first' | 'last', size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > LIMITS.pageSize) {
    throw badInput(`${argument} must be from 1 to ${LIMITS.pageSize}, got ${size}`, { argument });
  }
  return size;
}

/** Validates `first` (1 to the page cap) and decodes `after`. */
export function pageArgs(first: number | null | undefined, after: string | null | undefined) {
  const size = pageSizeArg('first', first ?? DEFAULT_PAGE_SIZE);
  return { size, after: after ? fromCursor(after) : undefined };
}

/**
 * Validates Relay's `first` and `last`: each 1 to the page cap, not both
 * (BAD_USER_INPUT naming the argument). Returns the page's size and whether
 * it is taken from the end of the window (`last`); neither: the first 20.
 */
export function pageWindow(first: number | null | undefined, last: number | null | undefined): { size: number; fromEnd: boolean } {
  if (first !== null && first !== undefined && last !== null && last !== undefined) {
    throw badInput('first and last cannot be given together: page forwards with first (and after), or backwards with last (and before)', {
      argument: 'last',
    });
  }
  if (last !== null && last !== undefined) return { size: pageSizeArg('last', last), fromEnd: true };
  return { size: pageSizeArg('first', first ?? DEFAULT_PAGE_SIZE), fromEnd: false };
}

/** What a listing cursor continues, and the row it points at: see `toListingCursor`. */
export interface ListingCursor {
  /** The listing's order, e.g. `PRICE`. */
  sort: string;
  /** The listing's filter in one canonical text (e.g. the sorted search words); '' for none. */
  filter: string;
  /** The row's sort key: an integer, a text, or null when the id alone is the key. */
  key: number | string | null;
  /** The row's id (PostgreSQL INT4, above 0). */
  id: number;
}

/** The listing a cursor must belong to, and the type of its sort key (null: none, the id is the key). */
export interface Listing {
  sort: string;
  filter: string;
  keyType: 'int' | 'text' | null;
}

/** A short digest of a listing's filter ('' for none): the cursor only has to tell filters apart. */
const filterDigest = (filter: string) => (filter === '' ? '' : createHash('sha256').update(filter).digest('base64url').slice(0, 16));

/** Longest cursor decoded: a sort key of a 200-character name, lower-cased, as JSON in base64url, fits with room to spare. */
const MAX_LISTING_CURSOR = 4096;
/** Longest text sort key accepted from a cursor. */
const MAX_TEXT_KEY = 1000;
const INT4_MAX = 2147483647;

/**
 * A keyset cursor of a sorted, filtered listing: base64url of JSON
 * `{"s":<sort>,"f":<filter digest>,"k":<sort key>,"i":<id>}`. It names its
 * listing, so that another listing refuses it (a position in one order or
 * search means nothing in another), and holds the row's sort key with its
 * id, so that the next page starts right after that row even if rows were
 * inserted, deleted or repriced meanwhile.
 */
export function toListingCursor({ sort, filter, key, id }: ListingCursor): string {
  return Buffer.from(JSON.stringify({ s: sort, f: filterDigest(filter), k: key, i: id })).toString('base64url');
}

/**
 * Decodes a listing cursor given as `argument` (`after`, or `before`) for
 * `listing`, and returns the row's sort key and id. BAD_USER_INPUT naming the
 * argument when it is not such a cursor (or its key is not of the listing's
 * type), and, with a message saying so, when it comes from a listing with
 * another sort or filter.
 */
export function fromListingCursor(cursor: string, argument: 'after' | 'before', listing: Listing): { key: number | string | null; id: number } {
  const malformed = () =>
    badInput(`${argument} must be a cursor from pageInfo.${argument === 'after' ? 'endCursor' : 'startCursor'}, got ${JSON.stringify(cursor.slice(0, 80))}`, {
      argument,
    });
  let decoded: unknown;
  try {
    decoded = cursor.length <= MAX_LISTING_CURSOR ? JSON.parse(Buffer.from(cursor, 'base64url').toString()) : null;
  } catch {
    throw malformed();
  }
  const { s, f, k, i } = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as Record<string, unknown>;
  if (typeof s !== 'string' || typeof f !== 'string' || typeof i !== 'number' || !Number.isInteger(i) || i < 1 || i > INT4_MAX) throw malformed();
  if (s !== listing.sort || f !== filterDigest(listing.filter)) {
    const other = s !== listing.sort ? `sorted by ${s.slice(0, 20)}, not ${listing.sort}` : 'with another search';
    throw badInput(`${argument} is a cursor of a listing ${other}: a cursor only continues the listing it came from (the same sort and search)`, {
      argument,
    });
  }
  const keyFits =
    listing.keyType === null
      ? k === null
      : listing.keyType === 'int'
        ? typeof k === 'number' && Number.isInteger(k) && Math.abs(k) <= INT4_MAX
        : typeof k === 'string' && k.length <= MAX_TEXT_KEY && !k.includes('\u0000');
  if (!keyFits) throw malformed();
  return { key: k as number | string | null, id: i };
}

/**
 * Builds a connection from `size + 1` fetched keys: the extra one only says
 * whether there is a next page.
 */
export function connection<T>(keys: number[], size: number, nodes: (T | null)[], hasPrevious: boolean) {
  const edges = keys.slice(0, size).flatMap((key, i) => (nodes[i] ? [{ cursor: toCursor(key), node: nodes[i] as T }] : []));
  return {
    edges,
    pageInfo: {
      hasNextPage: keys.length > size,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
