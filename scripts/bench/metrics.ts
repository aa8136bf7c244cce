/**
 * The API's Prometheus counters (`GET /metrics`, prom-client text format),
 * read before and after a measurement: the differences, divided by the
 * GraphQL requests answered meanwhile, are the costs per request.
 *
 * A counter the server does not expose is `null` (reported as "–"), so the
 * benchmark still runs against a server that lacks some of them.
 */

export const COUNTERS = {
  dbQueries: 'storefront_db_queries_total',
  cacheReadRoundTrips: 'storefront_cache_read_round_trips_total',
  cacheWriteRoundTrips: 'storefront_cache_write_round_trips_total',
  cacheHits: 'storefront_cache_hits_total',
  cacheMisses: 'storefront_cache_misses_total',
  graphqlRequests: 'storefront_graphql_requests_total',
  /** prom-client's default process metrics: the API process's CPU time, and its garbage collector's. */
  apiCpuSeconds: 'storefront_process_cpu_seconds_total',
  gcSeconds: 'storefront_nodejs_gc_duration_seconds_sum',
} as const;
export type CounterName = keyof typeof COUNTERS;
/** The counters the benchmark needs from the API (the others are context). */
export const REQUIRED_COUNTERS: readonly CounterName[] = [
  'dbQueries',
  'cacheReadRoundTrips',
  'cacheWriteRoundTrips',
  'cacheHits',
  'cacheMisses',
  'graphqlRequests',
];

/** Counter values at one instant; `null` for a counter the server does not expose. */
export type Snapshot = Record<CounterName, number | null>;

/** Sums every series of each metric (all label sets). Comments and unparsable lines are skipped. */
export function parsePrometheus(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + value);
  }
  return sums;
}

export class MetricsUnavailableError extends Error {
  override name = 'MetricsUnavailableError';
}

/**
 * The bearer token the benchmark gives each API it starts (`METRICS_TOKEN`): in production
 * (as the benchmark runs it) `/metrics` is served only with a token or on its own port.
 */
export const BENCH_METRICS_TOKEN = 'benchmark-metrics-token-not-a-secret';

/** GET /metrics of an API the benchmark started, with its token. */
export function fetchMetrics(baseUrl: string): Promise<Response> {
  return fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
}

/** Reads the counters; throws `MetricsUnavailableError` if the server has no /metrics. */
export async function scrape(baseUrl: string): Promise<Snapshot> {
  const response = await fetchMetrics(baseUrl);
  const text = await response.text();
  if (response.status !== 200) throw new MetricsUnavailableError(`GET /metrics answered ${response.status}`);
  const sums = parsePrometheus(text);
  const snapshot = {} as Snapshot;
  for (const [name, metric] of Object.entries(COUNTERS) as [CounterName, string][]) snapshot[name] = sums.get(metric) ?? null;
  return snapshot;
}

/** Reads the counters, or `null` when the server has no /metrics. */
export async function tryScrape(baseUrl: string): Promise<Snapshot | null> {
  try {
    return await scrape(baseUrl);
  } catch {
    return null;
  }
}

/** `delta` less `overhead` (never below 0); counters missing from either stay as in `delta`. */
export function subtract(delta: Snapshot, overhead: Snapshot | null): Snapshot {
  if (!overhead) return delta;
  const out = {} as Snapshot;
  for (const name of Object.keys(COUNTERS) as CounterName[]) {
    const d = delta[name];
    const o = overhead[name];
    out[name] = d === null || o === null ? d : Math.max(0, d - o);
  }
  return out;
}

/**
 * What reading the counters itself costs between two reads (e.g. a gauge that
 * queries the database at scrape time): the median difference of consecutive
 * scrapes with no request in between. Subtracted from every measured difference.
 */
export async function scrapeOverhead(baseUrl: string, pairs = 5): Promise<Snapshot | null> {
  const deltas: Snapshot[] = [];
  let previous = await tryScrape(baseUrl);
  if (!previous) return null;
  for (let i = 0; i < pairs; i++) {
    const next = await tryScrape(baseUrl);
    if (!next) return null;
    deltas.push(difference(previous, next));
    previous = next;
  }
  const out = {} as Snapshot;
  for (const name of Object.keys(COUNTERS) as CounterName[]) {
    const known = deltas
      .map((d) => d[name])
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    out[name] = known.length ? known[known.length >> 1]! : null;
  }
  return out;
}

/** Costs per request over an interval. `null` fields: the counter is missing. */
export interface PerRequest {
  /** GraphQL requests in the interval (the denominator). */
  requests: number;
  dbQueries: number | null;
  cacheReadRoundTrips: number | null;
  cacheWriteRoundTrips: number | null;
  /** Read + write round trips to Redis. */
  redisRoundTrips: number | null;
  /** Cache hits / (hits + misses) over the interval; null without lookups. */
  hitRatio: number | null;
  /** CPU time of the API process per request, in ms (user + system). */
  apiCpuMs: number | null;
  /** Share of the API's CPU time spent collecting garbage. */
  gcShare: number | null;
  /** Raw differences of every counter. */
  deltas: Snapshot;
}

export function difference(before: Snapshot | null, after: Snapshot | null): Snapshot {
  const out = {} as Snapshot;
  for (const name of Object.keys(COUNTERS) as CounterName[]) {
    const a = before?.[name];
    const b = after?.[name];
    out[name] = a === null || a === undefined || b === null || b === undefined ? null : b - a;
  }
  return out;
}

/**
 * Per-request costs from the difference of two snapshots. The denominator is
 * the server's own GraphQL request counter if it has one, else `fallbackRequests`
 * (the requests the client saw answered).
 */
export function perRequest(deltas: Snapshot, fallbackRequests: number): PerRequest {
  const requests = deltas.graphqlRequests !== null && deltas.graphqlRequests > 0 ? deltas.graphqlRequests : fallbackRequests;
  const per = (value: number | null) => (value === null || requests <= 0 ? null : value / requests);
  const lookups = deltas.cacheHits !== null && deltas.cacheMisses !== null ? deltas.cacheHits + deltas.cacheMisses : null;
  return {
    requests,
    dbQueries: per(deltas.dbQueries),
    cacheReadRoundTrips: per(deltas.cacheReadRoundTrips),
    cacheWriteRoundTrips: per(deltas.cacheWriteRoundTrips),
    redisRoundTrips:
      deltas.cacheReadRoundTrips === null && deltas.cacheWriteRoundTrips === null
        ? null
        : per((deltas.cacheReadRoundTrips ?? 0) + (deltas.cacheWriteRoundTrips ?? 0)),
    hitRatio: lookups === null || lookups === 0 ? null : deltas.cacheHits! / lookups,
    apiCpuMs: deltas.apiCpuSeconds === null || requests <= 0 ? null : (deltas.apiCpuSeconds * 1000) / requests,
    gcShare: deltas.apiCpuSeconds && deltas.gcSeconds !== null ? deltas.gcSeconds / deltas.apiCpuSeconds : null,
    deltas,
  };
}

/** The median of each per-request cost over single requests (robust to a background query now and then). */
export function medianPerRequest(samples: readonly PerRequest[]): PerRequest | null {
  if (samples.length === 0) return null;
  const median = (values: (number | null)[]): number | null => {
    const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
    if (known.length === 0) return null;
    const mid = known.length >> 1;
    return known.length % 2 ? known[mid]! : (known[mid - 1]! + known[mid]!) / 2;
  };
  const deltas = {} as Snapshot;
  for (const name of Object.keys(COUNTERS) as CounterName[]) deltas[name] = median(samples.map((s) => s.deltas[name]));
  return {
    requests: samples.length,
    dbQueries: median(samples.map((s) => s.dbQueries)),
    cacheReadRoundTrips: median(samples.map((s) => s.cacheReadRoundTrips)),
    cacheWriteRoundTrips: median(samples.map((s) => s.cacheWriteRoundTrips)),
    redisRoundTrips: median(samples.map((s) => s.redisRoundTrips)),
    hitRatio: median(samples.map((s) => s.hitRatio)),
    apiCpuMs: median(samples.map((s) => s.apiCpuMs)),
    gcShare: median(samples.map((s) => s.gcShare)),
    deltas,
  };
}

/** The API's per-node counter of Redis round trips (labels `node`: `host:port` on a Cluster, `redis` on one node; `kind`: read or write). */
export const ROUND_TRIPS_BY_NODE = 'storefront_cache_round_trips_total';
/** The API's gauge of the cache epoch in use (-1 while fenced or without Redis). */
export const CACHE_EPOCH = 'storefront_cache_epoch';

/** Round trips to Redis so far, by node label (`host:port`, or `redis` on one node). */
export type NodeRoundTrips = Map<string, { read: number; write: number }>;

/**
 * The series of one metric in a Prometheus text exposition, each with its
 * labels (values unescaped) and value. Lines of other metrics, comments and
 * unparsable values are skipped.
 */
export function parseSeries(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(metric)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== metric) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const m of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    out.push({ labels, value });
  }
  return out;
}

/** `storefront_cache_round_trips_total` by node, read and write (0 for a kind not counted yet). */
export function roundTripsByNode(text: string): NodeRoundTrips {
  const out: NodeRoundTrips = new Map();
  for (const { labels, value } of parseSeries(text, ROUND_TRIPS_BY_NODE)) {
    const node = labels.node ?? '';
    const entry = out.get(node) ?? { read: 0, write: 0 };
    if (labels.kind === 'read') entry.read += value;
    else if (labels.kind === 'write') entry.write += value;
    out.set(node, entry);
  }
  return out;
}

/**
 * Reads the per-node round trips and the cache epoch from /metrics. Rejects
 * with `MetricsUnavailableError` if /metrics does not answer 200; `epoch` is
 * null when the gauge is missing.
 */
export async function scrapeNodes(baseUrl: string): Promise<{ byNode: NodeRoundTrips; epoch: number | null }> {
  const response = await fetchMetrics(baseUrl);
  const text = await response.text();
  if (response.status !== 200) throw new MetricsUnavailableError(`GET /metrics answered ${response.status}`);
  return { byNode: roundTripsByNode(text), epoch: parsePrometheus(text).get(CACHE_EPOCH) ?? null };
}
