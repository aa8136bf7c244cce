/**
 * Relay cursor connections over integer keys. Cursors are opaque
 * (base64url of `cursor:<id>`); `first` is capped.
 */
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

/** Validates `first` (1 to the page cap) and decodes `after`. */
export function pageArgs(first: number | null | undefined, after: string | null | undefined) {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > LIMITS.pageSize) {
    throw badInput(`first must be from 1 to ${LIMITS.pageSize}, got ${size}`, { argument: 'first' });
  }
  return { size, after: after ? fromCursor(after) : undefined };
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
