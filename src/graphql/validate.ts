/**
 * Input checks that say what was expected and what was received. Each
 * returns the cleaned value or throws BAD_USER_INPUT naming the field.
 */
import { badInput } from './errors.js';

/** PostgreSQL text cannot hold U+0000: refuse it as bad input rather than fail in the database. */
function noNul(field: string, value: string): string {
  if (value.includes('\u0000')) throw badInput(`${field} must not contain the NUL character (U+0000)`, { field });
  return value;
}

export function text(field: string, value: string, { min = 1, max }: { min?: number; max: number }): string {
  const trimmed = noNul(field, value).trim();
  if (trimmed.length < min || trimmed.length > max) {
    throw badInput(`${field} must be ${min} to ${max} characters, got ${trimmed.length}`, { field });
  }
  return trimmed;
}

export function email(value: string): string {
  const normalized = noNul('email', value).trim().toLowerCase();
  if (normalized.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)) {
    throw badInput('email must be a valid address like name@example.com', { field: 'email' });
  }
  return normalized;
}

export function int(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field} must be an integer from ${min} to ${max}, got ${value}`, { field });
  }
  return value;
}

/** Passwords are taken exactly as typed (never trimmed), between the length limits. */
export function password(value: string): string {
  const { min, max } = LIMITS.password;
  if (value.length < min || value.length > max) {
    throw badInput(`password must be ${min} to ${max} characters, got ${value.length}`, { field: 'password' });
  }
  return value;
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
} as const;
