/**
 * GraphQL over HTTP, as a black-box client sees it. Every outcome is a value,
 * never an exception: an answer (with or without GraphQL errors), an HTTP
 * error status, or a network failure (refused, reset, timed out).
 */

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export type HttpOutcome =
  /** The server answered with a GraphQL response (any status below 500). */
  | { kind: 'answer'; status: number; data: any; errors: GraphQLError[] | undefined }
  /** 5xx, or a body that is not a GraphQL response. */
  | { kind: 'http-error'; status: number }
  /** No answer: connection refused or reset (a killed instance), or the request timed out. */
  | { kind: 'network-error'; reason: string };

export async function postGraphQL(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  timeoutMs = 10_000,
): Promise<HttpOutcome> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { kind: 'network-error', reason: networkReason(error) };
  }
  let body: { data?: unknown; errors?: GraphQLError[] };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    // The connection died while the body was streaming, or the body is not JSON.
    if (response.status >= 500) return { kind: 'http-error', status: response.status };
    return { kind: 'network-error', reason: networkReason(error) };
  }
  if (response.status >= 500) return { kind: 'http-error', status: response.status };
  if (typeof body !== 'object' || body === null || (!('data' in body) && !('errors' in body))) {
    return { kind: 'http-error', status: response.status };
  }
  return { kind: 'answer', status: response.status, data: body.data ?? null, errors: body.errors };
}

/** A short, stable name for why a request got no answer (for counting). */
function networkReason(error: unknown): string {
  const err = error as { name?: string; code?: string; cause?: { code?: string; name?: string } } | null;
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError') return 'timeout';
  const code = err?.cause?.code ?? err?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  return code ?? err?.name ?? 'error';
}

/** The first error's `extensions.code`, `NO_CODE` if it has none. */
export function errorCode(errors: GraphQLError[]): string {
  return errors[0]?.extensions?.code ?? 'NO_CODE';
}

/** Global IDs are base64url of `<Type>:<id>`; the checker's entity keys are that very string. */
export function entityKeyOf(globalId: string): string {
  return Buffer.from(globalId, 'base64url').toString();
}

export function globalIdOf(type: 'User' | 'Product' | 'Cart', id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export function numericIdOf(globalId: string): number {
  return Number(entityKeyOf(globalId).split(':')[1]);
}
