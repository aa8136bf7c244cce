/**
 * One measurement: autocannon (programmatic) drives the API over loopback
 * HTTP with a fixed number of connections for a fixed time; each request's
 * operation and variables come from `next()` (autocannon's `setupRequest`),
 * each answer goes through `onResponse`, where:
 *
 * - its latency is recorded under its operation (from just before it was
 *   written to the socket to its parsed answer);
 * - GraphQL errors are counted by `extensions.code`;
 * - every (entity, version) it holds is checked by the consistency
 *   checker's observer (a read that returns a version older than one already
 *   acknowledged to any client is stale), and a successful mutation's own
 *   entity version is recorded as acknowledged.
 *
 * The API's counters are read before and after (`/metrics`), for the costs
 * per request.
 */
import autocannon from 'autocannon';
import { now } from '../consistency/time.js';
import { difference, perRequest, subtract, tryScrape, type PerRequest, type Snapshot } from './metrics.js';
import { isMutation, versionsInBody, type PreparedRequest, type ProbeName } from './operations.js';
import type { VersionSink } from './versions.js';
import type { CpuUsage } from './noise.js';

export interface LoadOptions {
  baseUrl: string;
  /** Name of what is measured (the mode), for the observer's bookkeeping. */
  instance: string;
  connections: number;
  durationSeconds: number;
  /** The next request to send (called once per request). */
  next: () => PreparedRequest;
  /** Where versions read and acknowledged go (the stale-read bookkeeping). */
  versions: VersionSink;
  signal?: AbortSignal;
  /** Per-request timeout, in seconds. @default 10 */
  timeoutSeconds?: number;
  /** What reading the counters costs by itself (`scrapeOverhead`), subtracted. */
  overhead?: Snapshot | null;
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface OperationStats {
  /** Answers received. */
  requests: number;
  /** Answers with data and no GraphQL error. */
  ok: number;
  /** GraphQL error codes (and `HTTP_<status>`), counted. */
  errors: Record<string, number>;
  latencyMs: Latency | null;
}

export interface LoadResult {
  /** Answers received (any outcome). */
  requests: number;
  ok: number;
  durationSeconds: number;
  /** Answers per second. */
  rps: number;
  /** Latency of every answer, in ms (measured here, in fractions of a ms; autocannon's own histogram counts whole ms). */
  latencyMs: Latency;
  byOperation: Partial<Record<ProbeName, OperationStats>>;
  /** Errors of every kind, by code: GraphQL `extensions.code`, `HTTP_<status>`, `TIMEOUT`, `CONNECTION`. */
  errors: Record<string, number>;
  /** Reads that returned a version older than one already acknowledged. */
  staleReads: number;
  /** Entity versions checked for staleness. */
  versionsChecked: number;
  /** Costs per request from the API's counters; null without /metrics. */
  perRequest: PerRequest | null;
  /** CPU used meanwhile by the benchmark and by other processes (null where not measured). */
  cpu: CpuUsage | null;
  /** When the load ran, in µs on the monotonic clock of CPU profiles (set by the caller). */
  window?: { fromMicros: number; toMicros: number };
  /** Times this measurement was taken (it is taken again when other processes used too much CPU). */
  attempts: number;
}

interface RequestContext {
  op?: ProbeName;
  sentAt?: number;
}

/** Percentiles of a list of latencies (sorted in place). */
export function latencyOf(values: number[]): Latency | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean, max: values[values.length - 1]! };
}

const bump = (map: Record<string, number>, key: string, by = 1) => (map[key] = (map[key] ?? 0) + by);

/** The first error's code in an answer that has errors. */
function errorCodeOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] };
    return parsed.errors?.[0]?.extensions?.code ?? 'NO_CODE';
  } catch {
    return 'BAD_JSON';
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { versions: book, instance } = options;
  const latencies = new Map<ProbeName, number[]>();
  const byOperation: Partial<Record<ProbeName, OperationStats>> = {};
  const errors: Record<string, number> = {};
  let staleReads = 0;
  let versionsChecked = 0;
  let ok = 0;

  const stats = (op: ProbeName): OperationStats => (byOperation[op] ??= { requests: 0, ok: 0, errors: {}, latencyMs: null });

  const onResponse = (status: number, body: string, context: RequestContext) => {
    const receivedAt = now();
    const op = context.op;
    const sentAt = context.sentAt;
    if (!op || sentAt === undefined) return;
    const s = stats(op);
    s.requests++;
    let list = latencies.get(op);
    if (!list) latencies.set(op, (list = []));
    list.push(receivedAt - sentAt);

    const hasErrors = body.includes('"errors":');
    if (status !== 200 && !hasErrors) {
      bump(s.errors, `HTTP_${status}`);
      bump(errors, `HTTP_${status}`);
      return;
    }
    // Whatever data came back is a read: check every version in it.
    const versions = versionsInBody(body);
    const kind = isMutation(op) ? `mutation:${op}` : op;
    for (const { entity, version } of versions) {
      versionsChecked++;
      if (book.read(entity, version, { kind, startedAt: sentAt, endedAt: receivedAt, instance })) staleReads++;
    }
    if (hasErrors) {
      const code = errorCodeOf(body);
      bump(s.errors, code);
      bump(errors, code);
      return;
    }
    s.ok++;
    ok++;
    // A mutation's answer starts with the entity it wrote.
    if (isMutation(op) && versions[0]) book.acknowledge(versions[0].entity, versions[0].version, { at: receivedAt, sentAt, instance, operation: op });
  };

  const before = await tryScrape(options.baseUrl);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const cannon = autocannon(
      {
        url: `${options.baseUrl}/graphql`,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        timeout: options.timeoutSeconds ?? 10,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            setupRequest(request, context) {
              const prepared = options.next();
              const ctx = context as RequestContext;
              ctx.op = prepared.op;
              request.headers = {
                'content-type': 'application/json',
                ...(prepared.token && { authorization: `Bearer ${prepared.token}` }),
              };
              request.body = JSON.stringify({ query: prepared.query, variables: prepared.variables });
              // Taken as the request is built, right before it is written: a read's start errs early, so never counts as stale wrongly.
              ctx.sentAt = now();
              return request;
            },
            onResponse: (status, body, context) => onResponse(status, body, context as RequestContext),
          },
        ],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    const stop = () => cannon.stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    cannon.once('done', () => options.signal?.removeEventListener('abort', stop));
  });
  // Let the last answers' side effects (outbox cleanups, counters) land before reading the counters again.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const after = await tryScrape(options.baseUrl);

  if (result.timeouts) bump(errors, 'TIMEOUT', result.timeouts);
  if (result.errors - result.timeouts > 0) bump(errors, 'CONNECTION', result.errors - result.timeouts);
  const all: number[] = [];
  for (const [op, list] of latencies) {
    for (const value of list) all.push(value);
    stats(op).latencyMs = latencyOf(list);
  }
  const requests = Object.values(byOperation).reduce((n, s) => n + s.requests, 0);
  const durationSeconds = result.duration;
  return {
    requests,
    ok,
    durationSeconds,
    rps: requests / Math.max(durationSeconds, 0.001),
    latencyMs: latencyOf(all) ?? { p50: NaN, p90: NaN, p99: NaN, mean: NaN, max: NaN },
    byOperation,
    errors,
    staleReads,
    versionsChecked,
    perRequest: before && after ? perRequest(subtract(difference(before, after), options.overhead ?? null), requests) : null,
    cpu: null,
    attempts: 1,
  };
}
