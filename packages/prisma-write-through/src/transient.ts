/**
 * Which transaction failures are transient: the database rolled the whole
 * transaction back because of other transactions or time, not because of
 * what it asked, so running it again may succeed. Nothing of a failed
 * attempt reached the cache (the cache is written only after COMMIT), so a
 * retry is safe as long as the transaction's function only talks to the
 * database through its transaction client.
 *
 * Sources: PostgreSQL error codes (https://www.postgresql.org/docs/current/errcodes-appendix.html);
 * Prisma's codes (https://www.prisma.io/docs/orm/reference/error-reference): P2034 is what
 * `@prisma/adapter-pg` 7 makes of 40001 and 40P01, P2028 is the transaction manager's error
 * (could not start in `maxWait`, or the interactive transaction expired); other PostgreSQL
 * codes arrive as `meta.driverAdapterError.cause.originalCode` (checked with Prisma 7.10).
 */

/** Every reason a transaction may fail transiently: a closed set (it labels a metric). */
export const TRANSIENT_REASONS = ['deadlock', 'serialization_failure', 'lock_timeout', 'statement_timeout', 'transaction_timeout'] as const;

/** Why a transaction failed transiently; one of `TRANSIENT_REASONS`. */
export type TransientReason = (typeof TRANSIENT_REASONS)[number];

const BY_SQLSTATE: Record<string, TransientReason> = {
  '40P01': 'deadlock',
  '40001': 'serialization_failure',
  '55P03': 'lock_timeout',
  '57014': 'statement_timeout',
};

/**
 * The transient reason of a transaction's failure, or null when running it
 * again would not help (bad input, a constraint, a refused write, anything
 * unknown). Never retries a failure at or after COMMIT whose outcome is
 * unknown (a lost connection): only failures the database reports as a rollback.
 */
export function transientReason(error: unknown): TransientReason | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, meta, message } = error as { code?: unknown; meta?: any; message?: unknown };
  const sqlState = meta?.driverAdapterError?.cause?.originalCode ?? meta?.driverAdapterError?.cause?.code;
  if (typeof sqlState === 'string' && BY_SQLSTATE[sqlState]) return BY_SQLSTATE[sqlState]!;
  if (code === 'P2034') return 'serialization_failure';
  if (code === 'P2028') {
    // "cannot be executed on a committed transaction" is a program error, not a rollback.
    if (typeof message === 'string' && /committed transaction/.test(message)) return null;
    return 'transaction_timeout';
  }
  return null;
}
