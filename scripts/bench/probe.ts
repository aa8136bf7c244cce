/**
 * Exact costs of one operation: single requests, one at a time, each between
 * two reads of the API's counters; the per-request cost is the median over
 * the samples (a background query of the reconciler now and then does not
 * move a median). Also tells whether the mode supports the operation at all:
 * a mode that does not answers with the GraphQL error `NOT_SUPPORTED_IN_MODE`.
 */
import { postGraphQL, type HttpOutcome } from '../consistency/http.js';
import { now } from '../consistency/time.js';
import { latencyOf, type Latency } from './load.js';
import { difference, medianPerRequest, perRequest, subtract, tryScrape, type PerRequest, type Snapshot } from './metrics.js';
import { isMutation, versionsInBody, type PreparedRequest } from './operations.js';
import type { VersionSink } from './versions.js';

export const NOT_SUPPORTED = 'NOT_SUPPORTED_IN_MODE';

export interface ProbeResult {
  supported: boolean;
  /** Samples answered with data and no error. */
  ok: number;
  samples: number;
  /** Error codes of failed samples. */
  errors: Record<string, number>;
  /** Median per-request costs; null without /metrics or without a successful sample. */
  counts: PerRequest | null;
  /** Latency of the sequential samples (no load), in ms. */
  latencyMs: Latency | null;
}

export interface ProbeOptions {
  baseUrl: string;
  instance: string;
  prepare: () => PreparedRequest;
  /** Counted samples. @default 11 */
  samples?: number;
  /** Uncounted requests first (to warm what they read). @default 2 */
  warmup?: number;
  versions?: VersionSink;
  /** Also time this many more requests without reading counters between them. @default 0 */
  timed?: number;
  /** Stop timing after this long, in ms (at least 3 timed requests are made). @default Infinity */
  timeBudgetMs?: number;
  /** What reading the counters costs by itself (`scrapeOverhead`), subtracted from each sample. */
  overhead?: Snapshot | null;
}

function codeOf(outcome: HttpOutcome): string | null {
  if (outcome.kind === 'network-error') return `NETWORK_${outcome.reason}`;
  if (outcome.kind === 'http-error') return `HTTP_${outcome.status}`;
  if (outcome.errors?.length) return outcome.errors[0]?.extensions?.code ?? 'NO_CODE';
  return outcome.data ? null : 'NO_DATA';
}

/** Sends one prepared request; records a mutation's acknowledged version and checks the versions read. */
export async function send(baseUrl: string, request: PreparedRequest, observer?: VersionSink, instance = ''): Promise<{ code: string | null; ms: number }> {
  const sentAt = now();
  const outcome = await postGraphQL(baseUrl, request.query, request.variables, request.token, 60_000);
  const receivedAt = now();
  const code = codeOf(outcome);
  if (observer && outcome.kind === 'answer' && outcome.data) {
    const versions = versionsInBody(JSON.stringify(outcome.data));
    const kind = isMutation(request.op) ? `mutation:${request.op}` : request.op;
    for (const v of versions) observer.read(v.entity, v.version, { kind, startedAt: sentAt, endedAt: receivedAt, instance });
    if (code === null && isMutation(request.op) && versions[0]) {
      observer.acknowledge(versions[0].entity, versions[0].version, { at: receivedAt, sentAt, instance, operation: request.op });
    }
  }
  return { code, ms: receivedAt - sentAt };
}

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const { baseUrl, instance, versions: observer } = options;
  const errors: Record<string, number> = {};
  const first = await send(baseUrl, options.prepare(), observer, instance);
  if (first.code === NOT_SUPPORTED) return { supported: false, ok: 0, samples: 0, errors: { [NOT_SUPPORTED]: 1 }, counts: null, latencyMs: null };
  for (let i = 1; i < (options.warmup ?? 2); i++) await send(baseUrl, options.prepare(), observer, instance);

  const samples: PerRequest[] = [];
  const total = options.samples ?? 11;
  let ok = 0;
  for (let i = 0; i < total; i++) {
    const request = options.prepare();
    const before = await tryScrape(baseUrl);
    const { code } = await send(baseUrl, request, observer, instance);
    const after = await tryScrape(baseUrl);
    if (code !== null) {
      errors[code] = (errors[code] ?? 0) + 1;
      continue;
    }
    ok++;
    if (before && after) samples.push(perRequest(subtract(difference(before, after), options.overhead ?? null), 1));
  }

  const times: number[] = [];
  const timed = options.timed ?? 0;
  const deadline = now() + (options.timeBudgetMs ?? Number.POSITIVE_INFINITY);
  for (let i = 0; i < timed && (i < 3 || now() < deadline); i++) {
    const { code, ms } = await send(baseUrl, options.prepare(), observer, instance);
    if (code === null) times.push(ms);
    else errors[code] = (errors[code] ?? 0) + 1;
  }
  return { supported: true, ok, samples: total, errors, counts: medianPerRequest(samples), latencyMs: latencyOf(times) };
}
