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

/**
 * A transaction failed for a transient reason (deadlock, serialization
 * failure, lock, statement or transaction timeout) on every attempt. It was
 * rolled back each time: nothing changed in the database or the cache, and
 * the same request may be sent again. Safe to show to clients.
 */
export class TransactionConflictError extends Error {
  readonly code = 'TRANSACTION_CONFLICT';
  /** The client may send the same request again. */
  readonly retryable = true;
  constructor(
    /** Why the last attempt failed (see `transientReason`). */
    readonly reason: string,
    /** Attempts made, the first one included. */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `The change conflicted with concurrent changes (${reason.replace(/_/g, ' ')}) ${attempts} times and was not made: nothing changed, send it again`,
      options,
    );
    this.name = 'TransactionConflictError';
  }
}
