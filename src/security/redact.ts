/**
 * Removes secrets from text bound for logs or error messages: password
 * hashes, bearer tokens (JWTs), credentials in URLs, and the literal secrets
 * the process registers (the JWT signing secret).
 */

/** PHC strings: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. */
const ARGON2_HASH = /\$argon2(?:id|i|d)\$(?:v=\d+\$)?(?:m=\d+,t=\d+,p=\d+)?[A-Za-z0-9+/=$.-]*/g;
/** A JWS compact serialization: base64url header (always starts `eyJ`), payload, signature. */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g;
/** `scheme://user:password@`: keep the user, drop the password. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s@/]+)@/gi;

const secrets = new Set<string>();

/** Registers a literal secret (at least 8 characters) to be replaced wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 8) secrets.add(value);
}

/** `text` with password hashes, JWTs, URL passwords and registered secrets replaced by `[redacted …]`. */
export function redactSecrets(text: string): string {
  let out = text.replace(ARGON2_HASH, '[redacted password hash]').replace(JWT, '[redacted token]').replace(URL_CREDENTIALS, '$1$2:[redacted]@');
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted secret]');
  return out;
}

/** Whether `text` holds anything `redactSecrets` would remove. */
export function containsSecret(text: string): boolean {
  return redactSecrets(text) !== text;
}

/**
 * Every string found under a key that names a secret (`password`, `token`,
 * `secret`, ...) in a request's variables, so they can be cut out of error
 * messages that echo the variables back (GraphQL's coercion errors do).
 */
export function secretValuesIn(value: unknown, depth = 0, found: string[] = []): string[] {
  if (depth > 8 || value === null || typeof value !== 'object') return found;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (typeof inner === 'string' && /password|token|secret/i.test(key) && inner.length > 0) found.push(inner);
    else secretValuesIn(inner, depth + 1, found);
  }
  return found;
}

/**
 * Replaces each of `values` where it appears as a JSON string literal (with
 * its quotes): that is how GraphQL's error messages quote input values, and
 * matching the quotes too never garbles the rest of a message.
 */
export function redactValues(text: string, values: string[]): string {
  let out = text;
  for (const value of values) {
    const literal = JSON.stringify(value);
    if (out.includes(literal)) out = out.split(literal).join('"[redacted]"');
  }
  return out;
}
