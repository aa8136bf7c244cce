/**
 * Cost against the size of a nested list: the cart of a user whose cart holds
 * 1, 10, 100 or 1,000 items, read with its products (the `cart` operation),
 * warm, one request at a time. For each size: the exact counts per request
 * (database queries, Redis round trips) and the latency.
 *
 * The expectation for a batched API: round trips stay flat (the same count
 * for every size), and time grows at most linearly with the size.
 */
import type { Latency } from './load.js';
import type { PerRequest, Snapshot } from './metrics.js';
import type { OperationGenerator } from './operations.js';
import { probe } from './probe.js';
import type { Dataset } from './seed.js';
import type { VersionSink } from './versions.js';

export interface ScalingPoint {
  size: number;
  supported: boolean;
  counts: PerRequest | null;
  latencyMs: Latency | null;
  errors: Record<string, number>;
}

export interface ScalingAssessment {
  /** Same database queries and Redis round trips per request at every size (null: not measurable). */
  roundTripsFlat: boolean | null;
  /** Largest (t2 / t1) / (n2 / n1) over consecutive sizes, on p50 latency: at most 1 is at most linear. */
  worstGrowth: number | null;
  /** worstGrowth within 1.2 (measurement noise). */
  atMostLinear: boolean | null;
}

/** Allowed excess over linear growth, for measurement noise. */
export const LINEAR_TOLERANCE = 1.2;

export async function measureScaling(options: {
  baseUrl: string;
  instance: string;
  data: Dataset;
  generator: OperationGenerator;
  versions: VersionSink;
  /** Time budget of the timed requests per size, in ms. */
  timeBudgetMs: number;
  overhead: Snapshot | null;
  /** Called before each size (e.g. to wait until other processes are quiet). */
  beforeEach?: () => Promise<void>;
  log?: (line: string) => void;
}): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const { size, user } of options.data.scalingUsers) {
    await options.beforeEach?.();
    const result = await probe({
      baseUrl: options.baseUrl,
      instance: options.instance,
      prepare: () => options.generator.cartOf(user.token),
      versions: options.versions,
      samples: 5,
      warmup: 2,
      timed: 30,
      timeBudgetMs: options.timeBudgetMs,
      overhead: options.overhead,
    });
    points.push({ size, supported: result.supported, counts: result.counts, latencyMs: result.latencyMs, errors: result.errors });
    options.log?.(
      `    cart of ${size}: ${result.supported ? `${result.counts?.dbQueries ?? '–'} DB queries, ${result.counts?.redisRoundTrips ?? '–'} Redis round trips, p50 ${result.latencyMs?.p50.toFixed(1) ?? '–'} ms` : 'n/a'}`,
    );
  }
  return points;
}

export function assessScaling(points: readonly ScalingPoint[]): ScalingAssessment {
  const measured = points.filter((p) => p.supported && p.counts && p.latencyMs);
  if (measured.length < 2) return { roundTripsFlat: null, worstGrowth: null, atMostLinear: null };
  const trips = (p: ScalingPoint) => `${p.counts!.dbQueries}/${p.counts!.cacheReadRoundTrips}/${p.counts!.cacheWriteRoundTrips}`;
  const roundTripsFlat = measured[0]!.counts!.dbQueries === null ? null : measured.every((p) => trips(p) === trips(measured[0]!));
  let worstGrowth = 0;
  for (let i = 1; i < measured.length; i++) {
    const a = measured[i - 1]!;
    const b = measured[i]!;
    worstGrowth = Math.max(worstGrowth, b.latencyMs!.p50 / a.latencyMs!.p50 / (b.size / a.size));
  }
  return { roundTripsFlat, worstGrowth, atMostLinear: worstGrowth <= LINEAR_TOLERANCE };
}
