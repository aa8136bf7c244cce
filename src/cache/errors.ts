/** The one error the cache core raises on purpose. */

/**
 * The cache cannot take part in a write and the write policy is `fail`: the
 * transaction was rolled back, nothing was committed. Safe to show to clients.
 */
export class CacheUnavailableError extends Error {
  readonly code = 'CACHE_UNAVAILABLE';
  constructor(message = 'The cache is unavailable: the change was not made, try again shortly', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheUnavailableError';
  }
}
