/**
 * Write-through on a Redis Cluster against write-through on one Redis, both
 * measured in the same run (modes `write-through-cluster` and
 * `write-through`): throughput and p50/p99 latency of the same measurements,
 * as ratios cluster / single, and the cart of 20 items node by node
 * (`node-trips.ts`). Goes into results.json (`cluster`), the report's section
 * and the goals.
 */
import type { LoadResult } from './load.js';
import type { CartTripsByNode } from './node-trips.js';
import { MUTATIONS, OPERATIONS, OPERATION_LABELS, type OperationName } from './operations.js';
import type { ModeResult } from './run-mode.js';
import { WORKLOADS, WORKLOAD_LABELS, type WorkloadName } from './workloads.js';

/** One measurement of one mode: requests per second, latency percentiles in ms, and the API's CPU time per request in ms. */
export interface MeasuredFigures {
  rps: number;
  p50: number;
  p99: number;
  /** The API process's own CPU per request (the figure least disturbed by other work on the machine); null without the counter. */
  cpuMs: number | null;
  /** CPUs other processes used during the measurement (null where not measured). */
  otherCpus: number | null;
}

/** One measurement (an operation alone, or a mix) in both modes. Ratios are cluster / single (null where either is missing). */
export interface ComparisonRow {
  kind: 'operation' | 'workload';
  /** The operation's or the workload's name. */
  name: OperationName | WorkloadName;
  label: string;
  /** For an operation: whether it reads or writes; for a mix: 'mix'. */
  does: 'read' | 'write' | 'mix';
  single: MeasuredFigures | null;
  cluster: MeasuredFigures | null;
  /** Throughput ratio: above 1, the cluster answered more requests per second. */
  rpsRatio: number | null;
  /** Latency ratios: above 1, the cluster was slower. */
  p50Ratio: number | null;
  p99Ratio: number | null;
  /** API CPU per request ratio: above 1, the cluster costs the API more CPU per request. */
  cpuRatio: number | null;
}

/** Geometric means of the ratios over a group of rows (null when no row of the group has both modes). */
export interface RatioSummary {
  rps: number | null;
  p50: number | null;
  p99: number | null;
  cpu: number | null;
  /** The rows averaged. */
  of: string[];
}

/** The comparison, as written to results.json (`cluster`). */
export interface ClusterComparison {
  /** Every operation measured alone, then every mix, in report order. */
  rows: ComparisonRow[];
  /** Over the read operations measured alone (product, cart, page); null figures without operation runs. */
  reads: RatioSummary;
  /** Over the mutations measured alone (addToCart, updateProduct). */
  writes: RatioSummary;
  /** The cart of 20 items node by node, in each mode. */
  cartTrips: { single: CartTripsByNode | null; cluster: CartTripsByNode | null };
}

const figures = (r: LoadResult | null | undefined): MeasuredFigures | null =>
  r && r.ok > 0 ? { rps: r.rps, p50: r.latencyMs.p50, p99: r.latencyMs.p99, cpuMs: r.perRequest?.apiCpuMs ?? null, otherCpus: r.cpu?.otherCpus ?? null } : null;
const divide = (a: number | undefined, b: number | undefined): number | null =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;

/** The geometric mean of the positive finite values, or null if there is none. */
export function geometricMean(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  return known.length ? Math.exp(known.reduce((n, v) => n + Math.log(v), 0) / known.length) : null;
}

function summary(rows: readonly ComparisonRow[]): RatioSummary {
  const both = rows.filter((r) => r.rpsRatio !== null);
  return {
    rps: geometricMean(both.map((r) => r.rpsRatio)),
    p50: geometricMean(both.map((r) => r.p50Ratio)),
    p99: geometricMean(both.map((r) => r.p99Ratio)),
    cpu: geometricMean(both.map((r) => r.cpuRatio)),
    of: both.map((r) => r.name),
  };
}

/**
 * Compares the `write-through-cluster` mode with the `write-through` mode of
 * the same run. Returns null when either mode was not run; a mode that failed
 * gives rows without its figures (and null ratios).
 */
export function compareCluster(modes: readonly ModeResult[]): ClusterComparison | null {
  const single = modes.find((m) => m.mode === 'write-through');
  const cluster = modes.find((m) => m.mode === 'write-through-cluster');
  if (!single || !cluster) return null;
  const usable = (m: ModeResult) => (m.error === null ? m : undefined);
  const row = (
    kind: ComparisonRow['kind'],
    name: OperationName | WorkloadName,
    label: string,
    does: ComparisonRow['does'],
    get: (m: ModeResult) => LoadResult | null | undefined,
  ): ComparisonRow => {
    const a = figures(usable(single) && get(single));
    const b = figures(usable(cluster) && get(cluster));
    return {
      kind,
      name,
      label,
      does,
      single: a,
      cluster: b,
      rpsRatio: divide(b?.rps, a?.rps),
      p50Ratio: divide(b?.p50, a?.p50),
      p99Ratio: divide(b?.p99, a?.p99),
      cpuRatio: divide(b?.cpuMs ?? undefined, a?.cpuMs ?? undefined),
    };
  };
  const operations = OPERATIONS.filter((op) => single.operations[op] || cluster.operations[op]).map((op) =>
    row('operation', op, OPERATION_LABELS[op], MUTATIONS.includes(op) ? 'write' : 'read', (m) => m.operations[op]),
  );
  const workloads = WORKLOADS.filter((w) => single.workloads[w] || cluster.workloads[w]).map((w) =>
    row('workload', w, WORKLOAD_LABELS[w], 'mix', (m) => m.workloads[w]?.load),
  );
  return {
    rows: [...operations, ...workloads],
    reads: summary(operations.filter((r) => r.does === 'read')),
    writes: summary(operations.filter((r) => r.does === 'write')),
    cartTrips: { single: usable(single)?.cartTripsByNode ?? null, cluster: usable(cluster)?.cartTripsByNode ?? null },
  };
}
