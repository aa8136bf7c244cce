/**
 * The workloads: fixed mixes of the operations. Each is a deck of 120 steps
 * with exact proportions, shuffled once (seeded); the load driver deals the
 * steps round-robin over all connections, so every mode gets the same mix.
 *
 * Reads are split evenly between the three read operations, writes between
 * the two mutations.
 */
import type { Random } from '../consistency/random.js';
import type { OperationName } from './operations.js';

export const WORKLOADS = ['read-heavy', 'balanced', 'write-heavy'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const WORKLOAD_LABELS: Record<WorkloadName, string> = {
  'read-heavy': 'read-heavy (95% reads)',
  balanced: 'balanced (50/50)',
  'write-heavy': 'write-heavy (10% reads)',
};

/** Steps of each operation in a deck of 120. */
const MIXES: Record<WorkloadName, Record<OperationName, number>> = {
  'read-heavy': { product: 38, cart: 38, page: 38, addToCart: 3, updateProduct: 3 },
  balanced: { product: 20, cart: 20, page: 20, addToCart: 30, updateProduct: 30 },
  'write-heavy': { product: 4, cart: 4, page: 4, addToCart: 54, updateProduct: 54 },
};

export function workloadMix(workload: WorkloadName): Readonly<Record<OperationName, number>> {
  return MIXES[workload];
}

/** The operations a workload uses. */
export function operationsOf(workload: WorkloadName): OperationName[] {
  return (Object.entries(MIXES[workload]) as [OperationName, number][]).filter(([, n]) => n > 0).map(([op]) => op);
}

/** Share of reads in a workload (0 to 1). */
export function readShare(workload: WorkloadName): number {
  const mix = MIXES[workload];
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  return (mix.product + mix.cart + mix.page) / total;
}

/** A shuffled deck of the workload's steps (Fisher-Yates with the seeded random). */
export function deck(workload: WorkloadName, random: Random): OperationName[] {
  const steps = (Object.entries(MIXES[workload]) as [OperationName, number][]).flatMap(([op, n]) => Array<OperationName>(n).fill(op));
  for (let i = steps.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [steps[i], steps[j]] = [steps[j]!, steps[i]!];
  }
  return steps;
}
