import type { EntityId } from './types.js';

const SAFE_STRING_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks that an id may be part of a cache key: a positive safe integer or a
 * short string of `[A-Za-z0-9_-]`. Keys are never built from anything else.
 */
export function assertCacheableId(id: EntityId): void {
  const ok = typeof id === 'number' ? Number.isSafeInteger(id) && id > 0 : SAFE_STRING_ID.test(id);
  if (!ok) throw new TypeError(`cache key id must be a positive integer or match ${SAFE_STRING_ID}, got ${JSON.stringify(id)}`);
}

/** Builds cache keys: `<namespace><Entity>:<id>`, e.g. `sf:Product:42`. */
export function createKeyBuilder(namespace: string): (entity: string, id: EntityId) => string {
  return (entity, id) => {
    assertCacheableId(id);
    return `${namespace}${entity}:${id}`;
  };
}
