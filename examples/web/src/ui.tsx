/** Small pieces every page uses: money, errors, loading. */
import type { CombinedError } from 'urql';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** An amount in cents as the shop shows it: `$12.50`. */
export function formatCents(cents: number): string {
  return money.format(cents / 100);
}

/** A price in cents, formatted. */
export function Money({ cents, testId }: { cents: number; testId?: string }) {
  return (
    <span className="money" data-testid={testId}>
      {formatCents(cents)}
    </span>
  );
}

/**
 * The API's messages for a failed operation, as it wrote them (they say what was wrong),
 * or that the API could not be reached (down, or this origin not in its CORS_ORIGINS: the
 * browser does not tell the page which). Nothing when there is no error.
 */
export function ErrorMessage({ error }: { error: CombinedError | undefined | null }) {
  if (!error) return null;
  const messages = error.graphQLErrors.length
    ? error.graphQLErrors.map((e) => e.message)
    : [error.networkError ? `The API cannot be reached (${error.networkError.message})` : error.message];
  return (
    <div className="error" role="alert">
      {messages.map((message, i) => (
        <p key={i}>{message}</p>
      ))}
    </div>
  );
}

/** Shown while a page's first answer is on its way. */
export function Loading() {
  return <p className="muted">Loading…</p>;
}
