/**
 * One mode of the API, measured: its own process (`node --import tsx
 * scripts/bench/server.ts` with `BENCH_VARIANT`, through the consistency checker's
 * `ApiInstance`), its own Redis namespace, then, in this order for every mode:
 *
 * 1. which operations it supports (one request each: `NOT_SUPPORTED_IN_MODE` → n/a);
 * 2. the cache warmed: every page of the working set, every active user's cart;
 * 3. a warm-up load (the balanced mix, not measured);
 * 4. exact costs of each operation (single requests between counter reads);
 * 5. each operation alone under load, then each workload mix under load;
 * 6. the scaling carts (1 to 1,000 items).
 *
 * The generator of requests is seeded the same for every mode, so every mode
 * is sent the same sequence of operations and variables.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { errorCode, postGraphQL } from '../consistency/http.js';
import { logErrors } from '../consistency/index.js';
import { Observer, type StaleReadSummary } from '../consistency/observer.js';
import { ApiInstance, freePort } from '../consistency/processes.js';
import { createRandom } from '../consistency/random.js';
import { now, throwIfAborted } from '../consistency/time.js';
import type { LoadResult } from './load.js';
import { createMeasurer, loadLine } from './measure.js';
import { BENCH_METRICS_TOKEN, COUNTERS, REQUIRED_COUNTERS, fetchMetrics, parsePrometheus, scrapeOverhead, tryScrape, type Snapshot } from './metrics.js';
import { OperationGenerator, type OperationName, type ProbeName } from './operations.js';
import { NOT_SUPPORTED, probe, send, type ProbeResult } from './probe.js';
import { measureScaling, type ScalingPoint } from './scaling.js';
import { ADMIN_EMAIL, BENCH_PASSWORD, type Dataset } from './seed.js';
import { VersionBook, hotVersions } from './versions.js';
import type { CpuMeter } from './noise.js';
import { deck, operationsOf, type WorkloadName } from './workloads.js';
import type { BenchCluster } from './cluster.js';
import { probeCartTripsByNode, type CartTripsByNode } from './node-trips.js';
import type { CeilingPreload } from './variants.js';
import { profileMeasurements, type ProfileResult } from './profile-report.js';

export const MODES = ['write-through', 'write-through-cluster', 'no-cache', 'naive', 'cache-aside', 'ceiling'] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABELS: Record<Mode, string> = {
  'write-through': 'write-through (this project), on one Redis',
  'write-through-cluster': 'write-through (this project), on a Redis Cluster of 3 masters + 3 replicas that the benchmark starts',
  'no-cache': 'no cache (Prisma + DataLoader)',
  naive: 'naive (no DataLoader: N+1)',
  'cache-aside': 'cache-aside (TTL, invalidate on write)',
  ceiling: 'ceiling: this API with loaders that answer from rows decoded in memory at start (no store lookup, no JSON decode, no I/O)',
};

/** The mode every ratio is taken against. */
export const BASELINE: Mode = 'no-cache';

/** The `BENCH_VARIANT` of each benchmark mode (scripts/bench/variants.ts): the cluster mode is the write-through API, on another Redis. */
export const VARIANT_OF: Record<Mode, string> = {
  'write-through': 'write-through',
  'write-through-cluster': 'write-through',
  'no-cache': 'no-cache',
  naive: 'naive',
  'cache-aside': 'cache-aside',
  ceiling: 'ceiling',
};

/** True for the modes whose API runs on a Redis Cluster the benchmark starts for it (`cluster.ts`). */
export const isClusterMode = (mode: Mode): boolean => mode === 'write-through-cluster';

/** The modes whose per-node round trips of the cart are measured (`node-trips.ts`): the write-through API's. */
const NODE_TRIP_MODES: readonly Mode[] = ['write-through', 'write-through-cluster'];

/** How many users' carts the per-node probe reads. */
const NODE_TRIP_USERS = 5;

/** The Redis a mode's API used, for the report. */
export type ModeRedis = { kind: 'single'; url: string } | { kind: 'cluster'; version: string; masters: string[]; replicas: string[]; startupMs: number };

export interface ModeSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Measure each operation alone under load (besides its exact costs). */
  operationRuns: boolean;
  /** The operations measured alone (when `operationRuns`). */
  operations: readonly OperationName[];
  /** Run the API under the V8 CPU profiler and summarize each measurement's samples. */
  profile: boolean;
  workloads: readonly WorkloadName[];
  /** Time budget of the timed requests per scaling size, in ms. */
  scalingBudgetMs: number;
  seed: number;
  /** A measurement during which other processes used more CPUs than this is taken again. */
  maxOtherCpus: number;
  /** How many times a measurement may be taken again. */
  retries: number;
  /** How long to wait for other processes to calm down before a measurement, in ms (0: no waiting). */
  quietWaitMs: number;
}

export interface ModeContext {
  mode: Mode;
  /** Where `src/main.ts` is run from (a snapshot of the sources). */
  root: string;
  logDir: string;
  /** Where flame graphs go (with `settings.profile`). */
  profileDir: string;
  databaseUrl: string;
  /** The run's database, read directly only for the versions of the hot entities before the mode starts. */
  pool: pg.Pool;
  /** The single Redis (used unless `cluster` is given). */
  redisUrl: string;
  /** For a cluster mode: the cluster to run the API on (started and stopped by the caller). */
  cluster?: BenchCluster | null;
  namespace: string;
  jwtSecret: string;
  data: Dataset;
  settings: ModeSettings;
  /** Called once its API is ready, before the mode sends it anything (the run captures the reference points' answers there). */
  onStart?: (baseUrl: string) => Promise<void>;
  /** Measures other processes' CPU during each measurement (null: not measured). */
  meter: CpuMeter | null;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface WorkloadResult {
  supported: boolean;
  /** The operations of the mix this mode does not support (the workload is then n/a). */
  unsupported: OperationName[];
  load: LoadResult | null;
}

export interface ModeResult {
  mode: Mode;
  /** Set when the mode could not be measured (e.g. the API did not start). */
  error: string | null;
  /** The Redis the API used (null: not started). */
  redis: ModeRedis | null;
  startupMs: number | null;
  /** Counters the API's /metrics lacks (all of them if it has no /metrics). */
  missingCounters: string[];
  /** What one read of /metrics costs by itself (subtracted from every measured difference). */
  scrapeOverhead: Snapshot | null;
  supported: Record<ProbeName, boolean>;
  /** The seeded admin logged in through the API (checks the seeded password hash): 'ok', or 'n/a' in a mode without logIn. */
  logIn: 'ok' | 'n/a' | null;
  warmup: { prewarmRequests: number; prewarmMs: number; load: LoadResult | null };
  /** Exact per-request costs, single requests, warm. */
  probes: Partial<Record<ProbeName, ProbeResult>>;
  /** The cart of 20 items: read round trips per Redis node, and the nodes its product keys touch (write-through modes; null otherwise). */
  cartTripsByNode: CartTripsByNode | null;
  /** Each operation alone under load. */
  operations: Partial<Record<OperationName, LoadResult>>;
  workloads: Partial<Record<WorkloadName, WorkloadResult>>;
  /** With `profile`: where the API's CPU went during each measurement, by operation or workload name. */
  profiles: Partial<Record<OperationName | WorkloadName, ProfileResult>>;
  scaling: ScalingPoint[];
  /**
   * Entity types whose acknowledged writes are counted (see versions.ts): those whose
   * writes move `version` in this mode. Empty in modes that write without versions.
   */
  countedVersions: string[];
  /** Mutation answers that showed a version below the count of acknowledged writes (the writer's own answer was stale). */
  staleMutationAnswers: number;
  /** Every stale read of the mode (probes, warm-up and measurements). */
  staleReads: Pick<StaleReadSummary, 'total' | 'checked' | 'byKind' | 'episodes' | 'maxStalenessMs' | 'examples'>;
  apiLogErrors: Record<string, number>;
  /** The API's JavaScript heap in use at the end of the mode, in MiB (the ceiling holds its decoded rows there). */
  heapUsedMiB: number | null;
  durationMs: number;
}

const LOG_IN = 'mutation BenchLogIn($input: LogInInput!) { logIn(input: $input) { token user { id role } } }';

const PROBES: ProbeName[] = ['product', 'cartOnly', 'cart', 'page', 'addToCart', 'updateProduct'];

/** Runs `count` tasks with at most `width` at once. */
async function pool(count: number, width: number, task: (i: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count && !signal?.aborted) await task(next++);
    }),
  );
}

/** Deletes every key of a namespace (SCAN + UNLINK), so the shared Redis keeps nothing of the run. */
export async function deleteNamespace(redisUrl: string, namespace: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A Redis URL fit for the report: user and password removed (an unparsable URL is replaced by a placeholder). */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * The result of a mode before anything is measured: every count empty, no
 * error. `runBenchmark` also uses it for a mode that could not start (setting
 * `error`), e.g. when the Redis Cluster of the cluster mode did not start.
 */
export function emptyModeResult(mode: Mode): ModeResult {
  return {
    mode,
    error: null,
    redis: null,
    startupMs: null,
    missingCounters: [],
    scrapeOverhead: null,
    supported: Object.fromEntries(PROBES.map((p) => [p, false])) as Record<ProbeName, boolean>,
    logIn: null,
    warmup: { prewarmRequests: 0, prewarmMs: 0, load: null },
    probes: {},
    cartTripsByNode: null,
    operations: {},
    workloads: {},
    profiles: {},
    scaling: [],
    countedVersions: [],
    staleMutationAnswers: 0,
    staleReads: { total: 0, checked: 0, byKind: {}, episodes: 0, maxStalenessMs: 0, examples: [] },
    apiLogErrors: {},
    heapUsedMiB: null,
    durationMs: 0,
  };
}

/**
 * What the ceiling holds (scripts/bench/variants.ts): the products the load reads by id
 * (the working set, the hot ones among them) and every user it signs in as (the admin, the
 * active users, the scaling carts' users); the ceiling adds their carts and the carts'
 * products. Written to `file`, whose path is returned.
 */
function writeCeilingPreload(data: Dataset, file: string): string {
  const preload: CeilingPreload = {
    products: [...new Set([...Array.from({ length: data.workingSetProducts }, (_, i) => i + 1), ...data.hotProducts])],
    users: [...new Set([data.admin.id, ...data.activeUsers.map((u) => u.id), ...data.hotUsers.map((u) => u.id), ...data.scalingUsers.map((s) => s.user.id)])],
  };
  writeFileSync(file, JSON.stringify(preload));
  return file;
}

/**
 * Measures one mode (see the file's comment): starts its API (on `ctx.cluster`
 * for a cluster mode, else on `ctx.redisUrl`), measures it, stops it and
 * deletes its Redis namespace (on the single Redis; a cluster is the caller's
 * to discard). A failure of the mode (the API did not start, a request
 * failed the harness) is returned in `error`, with what was measured until
 * then; only an abort (`signal`) rejects. Durations in the result are in ms.
 */
export async function runMode(ctx: ModeContext): Promise<ModeResult> {
  const { mode, data, settings, log, signal } = ctx;
  const t0 = now();
  const observer = new Observer();
  const book = new VersionBook(observer);
  // The same seed for every mode: the same sequence of operations and variables.
  const generator = new OperationGenerator(data, createRandom(settings.seed));
  const result = emptyModeResult(mode);
  const cluster = isClusterMode(mode) ? (ctx.cluster ?? null) : null;
  if (isClusterMode(mode) && !cluster) throw new Error(`mode ${mode} needs a Redis Cluster (ctx.cluster)`);
  result.redis = cluster
    ? {
        kind: 'cluster',
        version: cluster.redisVersion,
        masters: cluster.masters,
        replicas: cluster.nodes.filter((n) => !cluster.masters.includes(n)),
        startupMs: cluster.startupMs,
      }
    : { kind: 'single', url: withoutCredentials(ctx.redisUrl) };
  const api = new ApiInstance({
    name: mode,
    port: await freePort(),
    root: ctx.root,
    entry: path.join('scripts', 'bench', 'server.ts'),
    logFile: path.join(ctx.logDir, `api-${mode}.log`),
    ...(settings.profile && { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', path.join(ctx.logDir, `cpu-${mode}`)] }),
    env: {
      BENCH_VARIANT: VARIANT_OF[mode],
      ...(VARIANT_OF[mode] === 'ceiling' && { BENCH_CEILING_PRELOAD: writeCeilingPreload(data, path.join(ctx.logDir, `preload-${mode}.json`)) }),
      DATABASE_URL: ctx.databaseUrl,
      ...(cluster ? cluster.env : { REDIS_URL: ctx.redisUrl }),
      CACHE_NAMESPACE: ctx.namespace,
      JWT_SECRET: ctx.jwtSecret,
      // As deployed: production mode (graphql-js, for one, runs cheaper checks in production).
      NODE_ENV: 'production',
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      LOG_LEVEL: 'warn',
    },
  });
  const base = api.baseUrl;
  const measurer = createMeasurer({ baseUrl: base, instance: mode, versions: book, settings, meter: ctx.meter, ...(signal && { signal }), log });
  const meter = ctx.meter;

  try {
    const started = now();
    // Generous: the ceiling reads and decodes the rows the load reads before it is ready.
    await api.start(300_000);
    result.startupMs = Math.round(now() - started);
    log(`  ${mode}: API ready on port ${api.port} in ${(result.startupMs / 1000).toFixed(1)} s`);
    await ctx.onStart?.(base);

    // 1. What the mode supports; whether its writes move `version` (then acknowledged writes are counted).
    const before = await hotVersions(ctx.pool, data);
    book.setBases(before);
    for (const op of PROBES) {
      const { code } = await send(base, generator.next(op), book, mode);
      result.supported[op] = code !== NOT_SUPPORTED;
    }
    const after = await hotVersions(ctx.pool, data);
    for (const type of ['Product', 'Cart']) {
      if ([...after].some(([entity, version]) => entity.startsWith(`${type}:`) && version > (before.get(entity) ?? version))) book.count(type);
    }
    result.countedVersions = book.countedTypes;
    // Counters with labels appear once they have counted something: checked after the first requests.
    const counters = await tryScrape(base);
    result.missingCounters = REQUIRED_COUNTERS.filter((name) => counters === null || counters[name] === null).map((name) => COUNTERS[name]);
    if (result.missingCounters.length) log(`    /metrics lacks ${result.missingCounters.join(', ')}`);
    const overhead = (measurer.overhead = result.scrapeOverhead = await scrapeOverhead(base));
    const overheadText = REQUIRED_COUNTERS.filter((k) => overhead?.[k])
      .map((k) => `${overhead![k]} ${k}`)
      .join(', ');
    if (overheadText) log(`    one read of /metrics costs ${overheadText} by itself (subtracted)`);
    // The seeded password hash and the admin's role, through the API itself (the load uses tokens signed with the API's secret).
    const login = await postGraphQL(base, LOG_IN, { input: { email: ADMIN_EMAIL, password: BENCH_PASSWORD } });
    const loginCode = login.kind === 'answer' ? (login.errors?.length ? errorCode(login.errors) : null) : login.kind;
    if (loginCode === null && login.kind === 'answer' && login.data?.logIn?.user?.role !== 'ADMIN')
      throw new Error(`the seeded admin logged in as ${login.data?.logIn?.user?.role}`);
    if (loginCode !== null && loginCode !== NOT_SUPPORTED) throw new Error(`logIn of the seeded admin failed: ${loginCode}`);
    result.logIn = loginCode === null ? 'ok' : 'n/a';
    const unsupported = PROBES.filter((op) => !result.supported[op]);
    if (unsupported.length) log(`    not supported in this mode: ${unsupported.join(', ')}`);
    throwIfAborted(signal);

    // 2. Warm the cache (and PostgreSQL's buffers): the working set's pages, the active users' carts.
    const prewarmStarted = now();
    const pages = result.supported.page ? Math.ceil(data.workingSetProducts / 50) : 0;
    const carts = result.supported.cart ? data.activeUsers.length : 0;
    await pool(
      pages + carts,
      8,
      async (i) => {
        const request = i < pages ? generator.pageAfter(i * 50) : generator.cartOf(data.activeUsers[i - pages]!.token);
        await send(base, request, book, mode);
      },
      signal,
    );
    result.warmup.prewarmRequests = pages + carts;
    result.warmup.prewarmMs = Math.round(now() - prewarmStarted);
    throwIfAborted(signal);

    // 3. Warm-up load: the balanced mix of the supported operations.
    const warmDeck = deck('balanced', createRandom(settings.seed)).filter((op) => result.supported[op]);
    if (settings.warmupSeconds > 0 && warmDeck.length) {
      let i = 0;
      result.warmup.load = await measurer.once(() => generator.next(warmDeck[i++ % warmDeck.length]!), settings.warmupSeconds);
    }
    log(`    acknowledged writes counted for: ${result.countedVersions.join(', ') || 'none (writes do not move versions in this mode)'}`);
    log(`    warmed: ${result.warmup.prewarmRequests} requests in ${(result.warmup.prewarmMs / 1000).toFixed(1)} s, then ${settings.warmupSeconds} s of load`);
    throwIfAborted(signal);

    // 4. Exact costs per request.
    for (const op of PROBES) {
      if (!result.supported[op]) continue;
      result.probes[op] = await probe({ baseUrl: base, instance: mode, prepare: () => generator.next(op), versions: book, samples: 11, warmup: 2, overhead });
    }
    const c = (op: ProbeName) => result.probes[op]?.counts;
    log(
      `    exact costs: ${PROBES.filter((op) => result.probes[op])
        .map((op) => `${op} ${c(op)?.dbQueries ?? '–'} q/${c(op)?.cacheReadRoundTrips ?? '–'} r/${c(op)?.cacheWriteRoundTrips ?? '–'} w`)
        .join(', ')}`,
    );
    throwIfAborted(signal);

    // 4b. The cart of 20 items, node by node: read round trips per Redis node, and the nodes its products live on.
    if (NODE_TRIP_MODES.includes(mode) && result.supported.cart) {
      const trips = await probeCartTripsByNode({
        baseUrl: base,
        instance: mode,
        users: data.activeUsers.slice(0, NODE_TRIP_USERS),
        namespace: ctx.namespace,
        redis: cluster ? { kind: 'cluster', nodes: cluster.nodes, slots: await cluster.slots() } : { kind: 'single', url: ctx.redisUrl },
        versions: book,
      });
      result.cartTripsByNode = trips;
      log(
        trips.error
          ? `    cart of 20 per node: not measured: ${trips.error}`
          : `    cart of 20 per node (epoch ${trips.epoch}): ${trips.users
              .map(
                (u) =>
                  `user ${u.userId}: ${u.nodes
                    .filter((n) => n.productKeys > 0)
                    .map((n) => `${n.productReads}`)
                    .join('+')} product round trips on ${u.nodesTouched} node(s)`,
              )
              .join('; ')}; at most ${trips.maxPerNodeTouched} per node touched`,
      );
      throwIfAborted(signal);
    }

    // 5. Each operation alone, then each workload.
    if (settings.operationRuns) {
      for (const op of settings.operations) {
        if (!result.supported[op]) continue;
        const r = await measurer.load(() => generator.next(op), settings.durationSeconds, op);
        result.operations[op] = r;
        log(loadLine(op, r));
        throwIfAborted(signal);
      }
    }
    for (const workload of settings.workloads) {
      const missing = operationsOf(workload).filter((op) => !result.supported[op]);
      if (missing.length) {
        result.workloads[workload] = { supported: false, unsupported: missing, load: null };
        log(`    ${workload.padEnd(13)} n/a (${missing.join(', ')} not supported)`);
        continue;
      }
      const steps = deck(workload, createRandom(settings.seed));
      let i = 0;
      const r = await measurer.load(() => generator.next(steps[i++ % steps.length]!), settings.durationSeconds, workload);
      result.workloads[workload] = { supported: true, unsupported: [], load: r };
      log(loadLine(workload, r, `, stale reads ${r.staleReads}`));
      throwIfAborted(signal);
    }

    // 6. Scaling.
    if (result.supported.cart) {
      result.scaling = await measureScaling({
        baseUrl: base,
        instance: mode,
        data,
        generator,
        versions: book,
        timeBudgetMs: settings.scalingBudgetMs,
        overhead,
        log,
        beforeEach: async () => {
          if (meter && settings.quietWaitMs > 0) await meter.waitForQuiet(settings.maxOtherCpus / 2, settings.quietWaitMs, signal);
        },
      });
    }
    result.heapUsedMiB = await heapUsedMiB(base);
  } catch (error) {
    if (signal?.aborted) throw error;
    result.error = error instanceof Error ? error.message : String(error);
    log(`  ${mode}: FAILED: ${result.error}`);
  } finally {
    await api.stop();
    if (settings.profile) {
      try {
        result.profiles = profileMeasurements(result, path.join(ctx.logDir, `cpu-${mode}`), ctx.profileDir);
      } catch (error) {
        log(`    could not read the CPU profile: ${(error as Error).message}`);
      }
    }
    // A cluster is discarded whole by the caller; the shared Redis keeps nothing of the run.
    if (!cluster)
      await deleteNamespace(ctx.redisUrl, ctx.namespace).catch((error: Error) => log(`    could not clean Redis namespace ${ctx.namespace}: ${error.message}`));
    const summary = observer.summary([], { examples: 5 });
    result.staleReads = {
      total: summary.total,
      checked: summary.checked,
      byKind: summary.byKind,
      episodes: summary.episodes,
      maxStalenessMs: summary.maxStalenessMs,
      examples: summary.examples,
    };
    result.staleMutationAnswers = book.staleAnswers;
    result.apiLogErrors = logErrors([api.logFile]);
    result.durationMs = Math.round(now() - t0);
  }
  return result;
}

async function heapUsedMiB(baseUrl: string): Promise<number | null> {
  try {
    const response = await fetchMetrics(baseUrl);
    const bytes = parsePrometheus(await response.text()).get('storefront_nodejs_heap_size_used_bytes');
    return bytes === undefined ? null : Math.round(bytes / 2 ** 20);
  } catch {
    return null;
  }
}
