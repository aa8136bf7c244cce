/** Command-line plumbing shared by the consistency checker and the benchmark. */

/** An integer option of at least `min`; undefined when absent. */
export function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** A number (decimals allowed) above `above`; undefined when absent. */
export function positiveNumber(name: string, value: string | undefined, above = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= above) throw new Error(`--${name} must be a number above ${above}, got ${JSON.stringify(value)}`);
  return n;
}

/** A comma-separated list of names, each one of `allowed`. */
export function names<T extends string>(what: string, text: string, allowed: readonly T[]): T[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of list) {
    if (!(allowed as readonly string[]).includes(name)) throw new Error(`unknown ${what} ${JSON.stringify(name)}: expected some of ${allowed.join(', ')}`);
  }
  return list as T[];
}
