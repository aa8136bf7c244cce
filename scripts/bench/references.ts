/**
 * The reference points next to the modes: how fast this machine and this
 * framework can answer the benchmark's read queries at all, measured in the
 * same run, with the same load generator, connections, durations and seeded
 * requests as the modes (scripts/bench/reference-server.ts runs them):
 *
 * - `raw-http`: node:http answering the API's own answer bytes (the machine's
 *   limit for this load generator);
 * - `bare-apollo`: Apollo Server 5 + Fastify 5 through the API's integration,
 *   the API's schema, constant resolvers, no plugin (the framework's limit).
 *
 * They answer the product by id and the cart of 20 items (the other
 * operations are n/a). Their answers are captured from the first API mode of
 * the run (`captureAnswers`: the write-through mode, by default), right after
 * it started: a product of the working set and an active user's cart that no
 * mutation of the run writes, so every mode answers them with the same bytes.
 * Before measuring, each reference's answers are compared with the captured
 * ones byte for byte (`sameBytes`).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { toError } from 'prisma-write-through';
import { globalIdOf } from '../consistency/http.js';
import { Observer } from '../consistency/observer.js';
import { ApiInstance, freePort } from '../consistency/processes.js';
import { createRandom } from '../consistency/random.js';
import { now, throwIfAborted } from '../consistency/time.js';
import type { LoadResult } from './load.js';
import { createMeasurer, loadLine } from './measure.js';
import { scrapeOverhead } from './metrics.js';
import type { CpuMeter } from './noise.js';
import { DOCUMENTS, OperationGenerator, type OperationName, type PreparedRequest } from './operations.js';
import type { ModeSettings } from './run-mode.js';
import type { Dataset } from './seed.js';
import { VersionBook } from './versions.js';

export const REFERENCES = ['raw-http', 'bare-apollo', 'bare-apollo-express', 'bare-apollo-jit'] as const;
export type Reference = (typeof REFERENCES)[number];
/**
 * Measured unless `--references` says otherwise. The other two are experiments, run on request:
 * what Apollo Server serves on Express 5 (the API's integration before it moved to Fastify, by this
 * measurement), and with graphql-jit's compiled execution instead of graphql-js's (both with the
 * same constant resolvers).
 */
export const DEFAULT_REFERENCES: readonly Reference[] = ['raw-http', 'bare-apollo'];

export const REFERENCE_LABELS: Record<Reference, string> = {
  'raw-http': "reference: node:http answering the API's answer bytes, parsing nothing (the machine's limit for this load generator)",
  'bare-apollo': "reference: Apollo Server 5 on Fastify 5 (the API's integration), the API's schema, constant resolvers, no plugin (the framework's limit)",
  'bare-apollo-express': 'experiment: bare-apollo on Express 5 (@as-integrations/express5, the integration before Fastify)',
  'bare-apollo-jit':
    "experiment: bare-apollo executing with graphql-jit (compiled once per document, through Apollo Server's gateway interface) instead of graphql-js",
};

/** The operations the reference points answer, in report order. */
export const REFERENCE_OPERATIONS = ['product', 'cart'] as const satisfies readonly OperationName[];
export type ReferenceOperation = (typeof REFERENCE_OPERATIONS)[number];

/** One answer of the API, as it came over HTTP. */
export interface CapturedAnswer {
  /** The GraphQL document it answers (the reference servers recognise the request by it). */
  query: string;
  variables: Record<string, unknown>;
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  body: string;
}

export interface CapturedAnswers {
  /** The mode whose API answered. */
  from: string;
  operations: Record<ReferenceOperation, CapturedAnswer>;
}

export interface ReferenceResult {
  reference: Reference;
  /** Set when it could not be measured (not started, no answers captured). */
  error: string | null;
  startupMs: number | null;
  /** The mode whose API's answers it served. */
  answersFrom: string | null;
  /** Bytes of the answer body to each operation (the API's). */
  answerBytes: Partial<Record<ReferenceOperation, number>>;
  /** Whether its answer to each operation was, byte for byte, the API's answer body (checked once before measuring). */
  sameBytes: Partial<Record<ReferenceOperation, boolean>>;
  warmup: LoadResult | null;
  /** Each operation alone under load, as the modes' `operations`. */
  operations: Partial<Record<ReferenceOperation, LoadResult>>;
  durationMs: number;
}

export function emptyReferenceResult(reference: Reference): ReferenceResult {
  return { reference, error: null, startupMs: null, answersFrom: null, answerBytes: {}, sameBytes: {}, warmup: null, operations: {}, durationMs: 0 };
}

/** Sends one prepared request and returns the answer as it came (status, headers, body text). */
async function post(baseUrl: string, request: PreparedRequest): Promise<Pick<CapturedAnswer, 'status' | 'headers' | 'body'>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(request.token && { authorization: `Bearer ${request.token}` }) },
    body: JSON.stringify({ query: request.query, variables: request.variables }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

/**
 * The API's answers to the reference operations (`baseUrl`: an API of mode
 * `from`, just started): the last product of the working set that no mutation
 * writes, and the cart of the last active user whose cart no mutation writes.
 * Rejects when an answer has errors or no data.
 */
export async function captureAnswers(baseUrl: string, data: Dataset, from: string): Promise<CapturedAnswers> {
  const hot = new Set(data.hotProducts);
  let productId = data.workingSetProducts;
  while (productId > 1 && hot.has(productId)) productId--;
  const hotUsers = new Set(data.hotUsers.map((u) => u.id));
  const user = [...data.activeUsers].reverse().find((u) => !hotUsers.has(u.id)) ?? data.activeUsers[data.activeUsers.length - 1]!;
  const requests: Record<ReferenceOperation, PreparedRequest> = {
    product: { op: 'product', query: DOCUMENTS.product, variables: { id: globalIdOf('Product', productId) } },
    cart: { op: 'cart', query: DOCUMENTS.cart, variables: {}, token: user.token },
  };
  const operations = {} as Record<ReferenceOperation, CapturedAnswer>;
  for (const op of REFERENCE_OPERATIONS) {
    const request = requests[op];
    const answer = await post(baseUrl, request);
    const parsed = JSON.parse(answer.body) as { data?: Record<string, unknown> | null; errors?: unknown[] };
    if (answer.status !== 200 || parsed.errors || !parsed.data || Object.values(parsed.data).includes(null)) {
      throw new Error(`the ${op} query answered ${answer.status} ${answer.body.slice(0, 300)}`);
    }
    operations[op] = { query: request.query, variables: request.variables, ...answer };
  }
  return { from, operations };
}

/** The reference points' process (run from the project: it loads none of the API's code). */
const SERVER_ENTRY = path.join('scripts', 'bench', 'reference-server.ts');

export interface ReferenceContext {
  reference: Reference;
  /** Where scripts/bench/reference-server.ts is run from (the project: it runs none of the API's code). */
  projectRoot: string;
  /** The API's schema, as the modes run it (the snapshot's). */
  schemaFile: string;
  answers: CapturedAnswers;
  logDir: string;
  data: Dataset;
  settings: Pick<ModeSettings, 'connections' | 'durationSeconds' | 'warmupSeconds' | 'seed' | 'maxOtherCpus' | 'retries' | 'quietWaitMs'>;
  meter: CpuMeter | null;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/**
 * Measures one reference point (see the file's comment): starts its process,
 * checks its answers against the captured ones, warms it up (the product and
 * the cart in turn), measures each operation alone under load exactly as the
 * modes are measured (`measure.ts`), and stops it. A failure is returned in
 * `error`; only an abort (`signal`) rejects.
 */
export async function runReference(ctx: ReferenceContext): Promise<ReferenceResult> {
  const { reference, data, settings, log, signal } = ctx;
  const t0 = now();
  const result = emptyReferenceResult(reference);
  result.answersFrom = ctx.answers.from;
  for (const op of REFERENCE_OPERATIONS) result.answerBytes[op] = Buffer.byteLength(ctx.answers.operations[op].body);
  const answersFile = path.join(ctx.logDir, `answers-${reference}.json`);
  writeFileSync(answersFile, JSON.stringify(ctx.answers));
  const env = { BENCH_REFERENCE: reference, BENCH_ANSWERS: answersFile, BENCH_SCHEMA: ctx.schemaFile, NODE_ENV: 'production' };
  const server = new ApiInstance({
    name: reference,
    port: await freePort(),
    root: ctx.projectRoot,
    entry: SERVER_ENTRY,
    logFile: path.join(ctx.logDir, `reference-${reference}.log`),
    env,
  });
  // The same seeded sequence of requests as the modes'.
  const generator = new OperationGenerator(data, createRandom(settings.seed));
  const measurer = createMeasurer({
    baseUrl: server.baseUrl,
    instance: reference,
    versions: new VersionBook(new Observer()),
    settings,
    meter: ctx.meter,
    ...(signal && { signal }),
    log,
  });
  try {
    const started = now();
    await server.start(60_000);
    result.startupMs = Math.round(now() - started);
    log(`  ${reference}: ready on port ${server.port} in ${(result.startupMs / 1000).toFixed(1)} s (answers captured from ${ctx.answers.from})`);
    for (const op of REFERENCE_OPERATIONS) {
      const answer = await post(server.baseUrl, generator.next(op));
      const expected = ctx.answers.operations[op];
      result.sameBytes[op] = answer.status === expected.status && answer.body === expected.body;
      if (!result.sameBytes[op]) log(`    ${op}: NOT the API's answer: ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    measurer.overhead = await scrapeOverhead(server.baseUrl);
    throwIfAborted(signal);
    if (settings.warmupSeconds > 0) {
      let i = 0;
      result.warmup = await measurer.once(() => generator.next(REFERENCE_OPERATIONS[i++ % REFERENCE_OPERATIONS.length]!), settings.warmupSeconds);
    }
    for (const op of REFERENCE_OPERATIONS) {
      const r = await measurer.load(() => generator.next(op), settings.durationSeconds, op);
      result.operations[op] = r;
      log(loadLine(op, r));
      throwIfAborted(signal);
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    result.error = toError(error).message;
    log(`  ${reference}: FAILED: ${result.error}`);
  } finally {
    await server.stop();
    result.durationMs = Math.round(now() - t0);
  }
  return result;
}
