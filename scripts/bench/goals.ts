/**
 * The issue's goals, as ratios between modes (and against the reference
 * points) measured in the same run, each with its target, the measured value,
 * and met / missed / n/a.
 */
import type { LoadResult } from './load.js';
import type { ProbeName, OperationName } from './operations.js';
import type { Reference, ReferenceOperation, ReferenceResult } from './references.js';
import type { Mode, ModeResult } from './run-mode.js';
import type { WorkloadName } from './workloads.js';
import { assessScaling } from './scaling.js';
import { compareCluster, type RatioSummary } from './cluster-compare.js';

export type GoalStatus = 'met' | 'missed' | 'n/a';

export interface Goal {
  id: string;
  /** What is compared, e.g. "Read-heavy, one product by id: throughput vs the ceiling". */
  title: string;
  target: string;
  /** The measured value, formatted. */
  measured: string;
  value: number | null;
  status: GoalStatus;
  /** Where the number comes from. */
  basis: string;
  /** Set when a measurement behind it ran while other processes used more CPU than allowed (even after retries). */
  noisy: string | null;
}

const fmt = (value: number, digits = 2) => `${value.toFixed(digits)}x`;

/**
 * The goals of the run, in report order, from the modes' results: ratios
 * between modes and to the bare-Apollo reference point (throughput in req/s,
 * latency in ms; against a reference that did not answer the API's bytes: n/a), exact counts per
 * request, stale reads, scaling, and (when the cluster mode ran) the cart's
 * round trips per Redis node. A goal whose measurement is missing (a mode not
 * run or failed) is 'n/a'; `noisy` is set when a measurement behind a ratio ran
 * while other processes used more than `maxOtherCpus` CPUs. Never throws.
 */
export function evaluateGoals(modes: readonly ModeResult[], maxOtherCpus = Number.POSITIVE_INFINITY, references: readonly ReferenceResult[] = []): Goal[] {
  const of = (mode: Mode) => modes.find((m) => m.mode === mode && m.error === null);
  const op = (mode: Mode, name: OperationName): LoadResult | undefined => of(mode)?.operations[name];
  const probe = (mode: Mode, name: ProbeName) => of(mode)?.probes[name]?.counts ?? null;
  const goals: Goal[] = [];

  /** The measurements behind a ratio that ran with too much other CPU. */
  const noise = (...loads: { mode: Mode | Reference; load: LoadResult | undefined }[]): string | null => {
    const noisy = loads.filter((l) => l.load?.cpu && l.load.cpu.otherCpus > maxOtherCpus);
    return noisy.length ? `other processes used ${noisy.map((l) => `${l.load!.cpu!.otherCpus} CPUs during ${l.mode}'s`).join(' and ')} measurement` : null;
  };
  const ratio = (
    id: string,
    title: string,
    basis: string,
    a: number | undefined,
    b: number | undefined,
    target: number,
    atLeast: boolean,
    noisy: string | null = null,
  ) => {
    const value = a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : null;
    goals.push({
      id,
      title,
      target: `${atLeast ? '≥' : '≤'} ${target}x`,
      measured: value === null ? 'n/a' : fmt(value),
      value,
      status: value === null ? 'n/a' : (atLeast ? value >= target : value <= target) ? 'met' : 'missed',
      basis,
      noisy,
    });
  };
  const exact = (id: string, title: string, basis: string, value: number | null | undefined, target: number) => {
    goals.push({
      id,
      title,
      target: `= ${target}`,
      measured: value === null || value === undefined ? 'n/a' : String(value),
      value: value ?? null,
      status: value === null || value === undefined ? 'n/a' : value === target ? 'met' : 'missed',
      basis,
      noisy: null,
    });
  };

  const rps = (mode: Mode, name: OperationName) => op(mode, name)?.rps;
  const p50 = (mode: Mode, name: OperationName) => op(mode, name)?.latencyMs.p50;
  const noisyPair = (name: OperationName, other: Mode) =>
    noise({ mode: 'write-through', load: op('write-through', name) }, { mode: other, load: op(other, name) });
  const alone = 'the operation alone under load, req/s';
  ratio(
    'product-vs-ceiling',
    'Read-heavy, one product by id: write-through throughput vs ceiling',
    alone,
    rps('write-through', 'product'),
    rps('ceiling', 'product'),
    0.8,
    true,
    noisyPair('product', 'ceiling'),
  );
  ratio(
    'product-vs-no-cache',
    'Read-heavy, one product by id: write-through throughput vs no-cache',
    alone,
    rps('write-through', 'product'),
    rps('no-cache', 'product'),
    1.5,
    true,
    noisyPair('product', 'no-cache'),
  );
  /** A reference point's measurement of `name`, if it answered the API's very bytes. */
  const reference = (ref: Reference, name: ReferenceOperation) => {
    const r = references.find((x) => x.reference === ref && x.error === null);
    return r?.sameBytes[name] ? r.operations[name] : undefined;
  };
  const vsBareApollo = (name: ReferenceOperation, title: string, target: number) =>
    ratio(
      `${name}-vs-bare-apollo`,
      title,
      alone,
      rps('write-through', name),
      reference('bare-apollo', name)?.rps,
      target,
      true,
      noise({ mode: 'write-through', load: op('write-through', name) }, { mode: 'bare-apollo', load: reference('bare-apollo', name) }),
    );
  vsBareApollo('product', "Warm, one product by id: write-through throughput vs bare Apollo (the framework's limit)", 0.8);

  const cart = probe('write-through', 'cart');
  const cartOnly = probe('write-through', 'cartOnly');
  const productTrips =
    cart?.cacheReadRoundTrips != null && cartOnly?.cacheReadRoundTrips != null ? cart.cacheReadRoundTrips - cartOnly.cacheReadRoundTrips : null;
  exact(
    'cart-product-round-trips',
    'Cart of 20 items: Redis round trips for its products (write-through)',
    'exact, warm: read round trips of the cart with its products minus those of the cart alone (median of single requests)',
    productTrips,
    1,
  );
  exact('cart-db-queries', 'Cart of 20 items: database queries when warm (write-through)', 'exact, warm: median of single requests', cart?.dbQueries, 0);
  ratio(
    'cart-vs-no-cache',
    'Cart of 20 items: write-through throughput vs no-cache',
    alone,
    rps('write-through', 'cart'),
    rps('no-cache', 'cart'),
    2,
    true,
    noisyPair('cart', 'no-cache'),
  );
  vsBareApollo('cart', "Cart of 20 items: write-through throughput vs bare Apollo (the framework's limit)", 0.6);

  const p50Basis = 'the operation alone under load, p50';
  ratio(
    'addToCart-p50',
    'Mutation addToCart: write-through p50 latency vs no-cache',
    p50Basis,
    p50('write-through', 'addToCart'),
    p50('no-cache', 'addToCart'),
    1.0,
    false,
    noisyPair('addToCart', 'no-cache'),
  );
  ratio(
    'updateProduct-p50',
    'Mutation updateProduct: write-through p50 latency vs no-cache',
    p50Basis,
    p50('write-through', 'updateProduct'),
    p50('no-cache', 'updateProduct'),
    1.2,
    false,
    noisyPair('updateProduct', 'no-cache'),
  );

  // The mixes, throughput vs no-cache (issue 11's goals): reads must pay off, writes must not cost.
  const mix = (mode: Mode, name: WorkloadName) => of(mode)?.workloads[name]?.load ?? undefined;
  const mixRatio = (name: WorkloadName, title: string, target: number) =>
    ratio(
      `${name}-vs-no-cache`,
      title,
      'the mix under load, req/s',
      mix('write-through', name)?.rps,
      mix('no-cache', name)?.rps,
      target,
      true,
      noise({ mode: 'write-through', load: mix('write-through', name) }, { mode: 'no-cache', load: mix('no-cache', name) }),
    );
  mixRatio('read-heavy', 'Read-heavy mix (95% reads): write-through throughput vs no-cache', 2.5);
  mixRatio('write-heavy', 'Write-heavy mix (10% reads): write-through throughput vs no-cache', 1.0);

  // A write-through read does what a cache-aside read does (one MGET, the same decode) plus the
  // epoch fence's check: it must cost no more of the API's CPU. 5% allows for the measurement's noise.
  const cpuOf = (mode: Mode, name: OperationName) => op(mode, name)?.perRequest?.apiCpuMs ?? undefined;
  for (const name of ['product', 'cart'] as const) {
    ratio(
      `${name}-cpu-vs-cache-aside`,
      `${name === 'product' ? 'One product by id' : 'Cart of 20 items'}: write-through API CPU per request vs cache-aside`,
      "the operation alone under load, the API process's CPU ms per request",
      cpuOf('write-through', name),
      cpuOf('cache-aside', name),
      1.05,
      false,
      noisyPair(name, 'cache-aside'),
    );
  }

  const wt = of('write-through');
  exact(
    'write-through-stale',
    'Stale reads seen by clients, write-through (every measurement of the mode)',
    'versions, as in the consistency checker',
    wt ? wt.staleReads.total : null,
    0,
  );
  const aside = of('cache-aside');
  goals.push({
    id: 'cache-aside-stale',
    title: 'Stale reads seen by clients, cache-aside (shown, no target)',
    target: 'shown',
    measured: aside ? `${aside.staleReads.total.toLocaleString('en-US')} of ${aside.staleReads.checked.toLocaleString('en-US')} versions read` : 'n/a',
    value: aside ? aside.staleReads.total : null,
    status: aside ? 'met' : 'n/a',
    basis: 'versions, as in the consistency checker',
    noisy: null,
  });

  // Issue 10: the cart of 20 on a Redis Cluster costs at most one read round trip per node its products touch.
  const clusterMode = modes.find((m) => m.mode === 'write-through-cluster');
  if (clusterMode) {
    const trips = clusterMode.error === null ? clusterMode.cartTripsByNode : null;
    const measured = trips && trips.met !== null;
    const touched = trips ? [...new Set(trips.users.map((u) => u.nodesTouched))].sort() : [];
    goals.push({
      id: 'cluster-cart-round-trips',
      title: 'Cart of 20 items on a Redis Cluster: read round trips for its products, per node they touch (write-through)',
      target: '≤ 1',
      measured: measured
        ? `${trips.maxPerNodeTouched} at most (${trips.users.length} carts, ${touched.join(' or ')} of ${clusterMode.redis?.kind === 'cluster' ? clusterMode.redis.masters.length : '?'} masters touched each${trips.untouchedNodeRoundTrips ? `, ${trips.untouchedNodeRoundTrips} to nodes not touched` : ''})`
        : `n/a${trips?.error ? ` (${trips.error})` : ''}`,
      value: measured ? trips.maxPerNodeTouched : null,
      status: !measured ? 'n/a' : trips.met ? 'met' : 'missed',
      basis:
        "exact, warm: per node, read round trips of the cart with its products minus the cart alone (storefront_cache_round_trips_total{node}, median of 5); nodes from the keys' slots and CLUSTER SLOTS",
      noisy: null,
    });
    const comparison = compareCluster(modes);
    const text = (label: string, r: RatioSummary | undefined) =>
      r?.rps != null ? `${label} ${fmt(r.rps)} req/s, ${fmt(r.p50!)} p50${r.cpu != null ? `, ${fmt(r.cpu)} API CPU/req` : ''}` : null;
    const parts = [text('reads', comparison?.reads), text('writes', comparison?.writes)].filter(Boolean);
    const mixes = comparison?.rows.filter((r) => r.kind === 'workload' && r.rpsRatio !== null) ?? [];
    if (parts.length === 0) parts.push(...mixes.map((r) => `${r.name} ${fmt(r.rpsRatio!)} req/s, ${fmt(r.p50Ratio!)} p50`));
    goals.push({
      id: 'cluster-vs-single',
      title: 'Write-through on a Redis Cluster vs on one Redis: throughput, p50 and API CPU per request, cluster ÷ single (shown, no target)',
      target: 'shown',
      measured: parts.length ? parts.join('; ') : 'n/a',
      value: comparison?.reads.rps ?? mixes[0]?.rpsRatio ?? null,
      status: parts.length ? 'met' : 'n/a',
      basis:
        parts.length && comparison?.reads.rps != null
          ? 'the operations alone under load; geometric means over the reads (product, cart, page) and the writes (addToCart, updateProduct)'
          : 'the mixes under load',
      noisy: (() => {
        const noisy = (comparison?.rows ?? []).filter((r) => [r.single, r.cluster].some((f) => f?.otherCpus != null && f.otherCpus > maxOtherCpus));
        return noisy.length ? `other processes used more than ${maxOtherCpus} CPUs during ${noisy.map((r) => r.name).join(', ')}` : null;
      })(),
    });
  }

  const scaling = wt ? assessScaling(wt.scaling) : null;
  goals.push({
    id: 'scaling-round-trips',
    title: 'Scaling, cart of 1 to 1,000 items: round trips flat (write-through)',
    target: 'flat',
    measured: scaling?.roundTripsFlat == null ? 'n/a' : scaling.roundTripsFlat ? 'flat' : 'grows',
    value: scaling?.roundTripsFlat == null ? null : scaling.roundTripsFlat ? 1 : 0,
    status: scaling?.roundTripsFlat == null ? 'n/a' : scaling.roundTripsFlat ? 'met' : 'missed',
    basis: 'exact DB queries and Redis round trips per request at each size',
    noisy: null,
  });
  goals.push({
    id: 'scaling-time',
    title: 'Scaling, cart of 1 to 1,000 items: time grows at most linearly (write-through)',
    target: '≤ 1x per size step (±20%)',
    measured: scaling?.worstGrowth == null ? 'n/a' : `${fmt(scaling.worstGrowth)} of linear at worst`,
    value: scaling?.worstGrowth ?? null,
    status: scaling?.atMostLinear == null ? 'n/a' : scaling.atMostLinear ? 'met' : 'missed',
    basis: 'p50 of single requests; (t2/t1)/(n2/n1) between consecutive sizes',
    noisy: null,
  });
  return goals;
}
