/** Command-line plumbing shared by the consistency checker and the benchmark. */

/** An integer option of at least `min`; undefined when absent. */
export function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return n;
}
