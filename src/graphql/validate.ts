/**
 * Input checks that say what was expected and what was received. Each
 * returns the cleaned value or throws BAD_USER_INPUT naming the field.
 */
import { domainToASCII } from 'node:url';
import { badInput, ErrorCode, SafeError } from './errors.js';

/** PostgreSQL text cannot hold U+0000: refuse it as bad input rather than fail in the database. */
function noNul(field: string, value: string): string {
  if (value.includes('\u0000')) throw badInput(`${field} must not contain the NUL character (U+0000)`, { field });
  return value;
}

/** A trimmed text of `min` to `max` characters; BAD_USER_INPUT naming `field` and the length received otherwise. */
export function text(field: string, value: string, { min = 1, max }: { min?: number; max: number }): string {
  const trimmed = noNul(field, value).trim();
  if (trimmed.length < min || trimmed.length > max) {
    throw badInput(`${field} must be ${min} to ${max} characters, got ${trimmed.length}`, { field });
  }
  return trimmed;
}

/** RFC 5321's limit on a path (256 octets) less its angle brackets. */
const EMAIL_MAX = 254;

/**
 * The one form of an email address, used everywhere an email enters (signUp,
 * logIn, updateProfile, the rate limiters' keys), so that look-alike spellings
 * of one address are one account:
 *
 * - Unicode NFKC on the whole address: fullwidth `ａ` is `a`, `＠` is `@`
 *   (Unicode Standard Annex #15);
 * - lower case, the name before the `@` included (as this API always did);
 * - the domain through IDNA (UTS #46, as the WHATWG URL standard applies it:
 *   node's `url.domainToASCII`) to its ASCII form, `bücher.example` and
 *   `BÜCHER.example` are `xn--bcher-kva.example`;
 * - the domain without the trailing dot of its fully-qualified form
 *   (`example.com.` is `example.com`).
 *
 * Returns `<name>@<ascii domain>`, e.g. `dup@xn--bcher-kva.example`, at most
 * 254 characters (RFC 5321's path limit less its brackets). Throws
 * BAD_USER_INPUT (`extensions.field` = `email`) saying what is wrong:
 * nothing, spaces, control or invisible characters (no quoted names here, and
 * invisible ones would make look-alikes), not exactly one `@`, nothing before it, a domain
 * that IDNA refuses or that is not dot-separated labels of letters, digits
 * and hyphens (RFC 1035, at most 63 characters each, 253 in all), an IP
 * address as the domain, or too long.
 */
export function email(value: string): string {
  const fail = (message: string): never => {
    throw badInput(message, { field: 'email' });
  };
  const trimmed = noNul('email', value).trim();
  // Bounded before any Unicode work (NFKC can shorten a string, so the real check is below).
  if (trimmed.length > 4 * EMAIL_MAX) fail(`email must be at most ${EMAIL_MAX} characters, got ${trimmed.length}`);
  if (trimmed === '') fail('email must be an address like name@example.com, got nothing');
  const nfkc = trimmed.normalize('NFKC');
  // Invisible: controls, formats, separators, and every Default_Ignorable_Code_Point (combining
  // grapheme joiner, variation selectors, Hangul fillers...), plus the blank braille pattern.
  if (/[\p{Cc}\p{Cf}\p{Z}\s\p{Default_Ignorable_Code_Point}\u2800]/u.test(nfkc)) fail('email must not contain spaces, control or invisible characters');
  const parts = nfkc.split('@');
  if (parts.length !== 2) fail(`email must have exactly one "@" between a name and a domain, like name@example.com; got ${parts.length - 1}`);
  const [name, domain] = parts as [string, string];
  if (name === '') fail('email must have a name before the "@", like name@example.com');
  // A quoted name ("alice"@...) would be another spelling of the same mailbox.
  if (name.includes('"')) fail('email must not quote its name: write name@example.com');
  if (domain === '') fail('email must have a domain after the "@", like name@example.com');
  // Case folding can leave a string out of NFKC: normalize again after it.
  const local = name.toLowerCase().normalize('NFKC');
  // UTS #46 maps (lower case, fullwidth and ideographic dots) and converts to punycode; '' when it refuses.
  const idna = domainToASCII(domain);
  if (idna === '') fail('email must have a valid domain name after the "@" (IDNA, which puts it in ASCII, refuses this one)');
  const ascii = idna.endsWith('.') ? idna.slice(0, -1) : idna;
  const labels = ascii.split('.');
  if (labels.length < 2) fail('email must have a domain of at least two labels separated by a dot, like example.com');
  if (!labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) || ascii.length > 253) {
    fail('email must have a domain of labels of letters, digits and hyphens (not first or last), 1 to 63 characters each, separated by single dots');
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) fail('email must have a domain name after the "@", not an IP address');
  const normalized = `${local}@${ascii}`;
  if (normalized.length > EMAIL_MAX) fail(`email must be at most ${EMAIL_MAX} characters (its domain in ASCII), got ${normalized.length}`);
  return normalized;
}

/**
 * The same normalization for logIn, which must answer every failure alike:
 * the address's one form (see `email`), or null for anything that is not an
 * address (and so has no account). Rethrows only unexpected errors.
 */
export function emailOrNull(value: string): string | null {
  try {
    return email(value);
  } catch (error) {
    if (error instanceof SafeError && error.extensions.code === ErrorCode.BAD_USER_INPUT) return null;
    throw error;
  }
}

/** An integer from `min` to `max`; BAD_USER_INPUT naming `field` and the value received otherwise. */
export function int(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field} must be an integer from ${min} to ${max}, got ${value}`, { field });
  }
  return value;
}

/** Passwords are taken exactly as typed (never trimmed), between the length limits; `field` names the input field in the error. */
export function password(value: string, field = 'password'): string {
  const { min, max } = LIMITS.password;
  if (value.length < min || value.length > max) {
    throw badInput(`${field} must be ${min} to ${max} characters, got ${value.length}`, { field });
  }
  return value;
}

/**
 * The words of a catalog search (`products(search)`): the text split on white
 * space, duplicates dropped; none for null, empty or blank text (the whole
 * catalog). BAD_USER_INPUT (`extensions.argument` = `search`) beyond
 * LIMITS.search characters (white space at either end not counted) or with
 * a NUL character.
 */
export function searchWords(value: string | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  const trimmed = value.trim();
  if (trimmed.length > LIMITS.search) throw badInput(`search must be at most ${LIMITS.search} characters, got ${trimmed.length}`, { argument: 'search' });
  if (trimmed.includes('\u0000')) throw badInput('search must not contain the NUL character (U+0000)', { argument: 'search' });
  return [...new Set(trimmed.split(/\s+/u).filter((word) => word !== ''))];
}

/** SKUs: letters, digits and dashes, stored upper-case. */
export function sku(value: string): string {
  const normalized = value.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9-]{0,31}$/.test(normalized)) {
    throw badInput('sku must be 1 to 32 letters, digits or dashes, starting with a letter or digit', { field: 'sku' });
  }
  return normalized;
}

/** Drops undefined and null from a partial input; BAD_USER_INPUT if nothing is left to change. */
export function someFields<T extends Record<string, unknown>>(input: T): { [K in keyof T]?: Exclude<T[K], null> } {
  const entries = Object.entries(input).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length === 0) throw badInput('Nothing to change: give at least one field');
  return Object.fromEntries(entries) as { [K in keyof T]?: Exclude<T[K], null> };
}

export const LIMITS = {
  name: 200,
  description: 5000,
  password: { min: 8, max: 128 },
  priceCents: 100_000_000,
  stock: 1_000_000,
  cartQuantity: 999,
  /** Distinct products in one cart. */
  cartLines: 1000,
  pageSize: 100,
  /** Characters of a catalog search. */
  search: 200,
} as const;
