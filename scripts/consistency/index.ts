/**
 * The consistency checker: a black-box test of the write-through protocol's
 * guarantees 1 (no stale reads after acknowledgement) and 3 (convergence).
 *
 * It creates its own database and `redis-server`, starts API processes
 * against them, creates a small hot set through the API, runs concurrent
 * clients over every instance while injecting faults, then stops the load,
 * waits for a quiet period and measures how long the cache takes to equal the
 * database. Only that last step (and the admin's promotion during setup)
 * reads Redis and PostgreSQL directly, and, with `outOfBandRate`, a client of
 * the database that writes the hot set's rows with plain SQL (out-of-band.ts),
 * as an operator or another service would, beside the load.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { projectPaths } from '../migrations.js';
import { createRunDatabase, DEFAULT_POSTGRES_URL, type RunDatabase } from './database.js';
import { waitForConvergence } from './divergence.js';
import { TOPOLOGY_FAULTS, injectFaults, type FaultKind, type FaultRecord } from './faults.js';
import { Observer } from './observer.js';
import { runOutOfBandClient, type OutOfBandStats } from './out-of-band.js';
import { ApiInstance, ClusterSet, RedisServer, SentinelSet, freePort } from './processes.js';
import { createRandom } from './random.js';
import type { Report } from './report.js';
import { createFixture } from './setup.js';
import { snapshotSource, sourceHash } from './source.js';
import { AbortedError, now, throwIfAborted } from './time.js';
import { MUTATION_KINDS, runWorkload, type WorkloadStats } from './workload.js';

export { formatReport, type Report } from './report.js';
export { FAULT_KINDS, TOPOLOGY_FAULTS, parseFaultKinds, type FaultKind } from './faults.js';
export { AbortedError } from './time.js';

export interface ConsistencyOptions {
  /** Length of the load, in seconds. @default 60 */
  durationSeconds?: number;
  /** Concurrent clients. @default 16 */
  clients?: number;
  /** Stop the load after this many operations in all. @default unlimited */
  maxOperations?: number;
  /** Seed of every random choice. @default 1 */
  seed?: number;
  /**
   * Redis as one server (`single`), a primary and a replica behind three Sentinels
   * (`sentinel`), or a Cluster of 3 masters and 3 replicas (`cluster`). @default "single"
   */
  topology?: keyof typeof TOPOLOGY_FAULTS;
  /** Kinds of faults to inject; `[]` for none. @default every kind of the topology */
  faults?: readonly FaultKind[];
  /** Pause between faults, in ms. @default [1000, 3000] */
  faultIntervalMs?: [number, number];
  /** API processes (at least 2). @default 2 */
  instances?: number;
  /** Size of the hot set. @default 8 and 8 */
  products?: number;
  customers?: number;
  /** Initial stock per product (small, so OUT_OF_STOCK happens). @default 5 */
  stock?: number;
  /** Quiet time after the load before the cache must have converged, in ms. @default 3000 */
  quietPeriodMs?: number;
  /** How long after the quiet period the cache may take to converge, in ms. @default 30000 */
  convergenceTimeoutMs?: number;
  /** PostgreSQL server (the database name in it is ignored). @default postgresql://postgres@127.0.0.1:5432 */
  postgresUrl?: string;
  /**
   * Run the API processes from the working tree as it is at each (re)start,
   * instead of a copy of `src/` taken when the run starts. @default false
   */
  liveSource?: boolean;
  /**
   * Where the code under test is (a directory holding src/ and schema.graphql,
   * e.g. an export of another revision, to compare). Migrations still come
   * from this project's prisma/migrations. @default this project
   */
  sourceDir?: string;
  /**
   * Writes per second, on average, by a client that bypasses the API: plain
   * SQL on a connection of its own (out-of-band.ts), captured by the
   * triggers and published by the reconcilers. @default 0 (none)
   */
  outOfBandRate?: number;
  /**
   * How long after its COMMIT an out-of-band write counts as acknowledged
   * (a read that starts later and returns an older version is stale), in ms.
   * @default 1000 (the documented promise)
   */
  outOfBandWindowMs?: number;
  /**
   * More environment for the API processes (over the checker's own), e.g. to
   * take a feature away for a positive control. @default none
   */
  apiEnv?: Record<string, string>;
  /** Keep the processes' logs: always, never, or only when the run fails. @default 'on-failure' */
  keepLogs?: boolean | 'on-failure';
  signal?: AbortSignal;
  /** Progress lines. @default silent */
  log?: (line: string) => void;
}

const NAMESPACE = 'cc:';
const JWT_SECRET = 'consistency-check-jwt-secret-shared-by-every-instance';

/** Error and warning lines of the API logs (pino JSON), counted by message. */
export function logErrors(files: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) >= 40) {
          const key = `${(entry.level ?? 0) >= 50 ? 'error' : 'warn'}: ${entry.msg ?? '?'}`;
          counts[key] = (counts[key] ?? 0) + 1;
        }
      } catch {
        /* not a log line */
      }
    }
  }
  return counts;
}

export async function runConsistencyCheck(options: ConsistencyOptions = {}): Promise<Report> {
  const durationSeconds = options.durationSeconds ?? 60;
  const clients = options.clients ?? 16;
  const seed = options.seed ?? 1;
  const topology = options.topology ?? 'single';
  const faultKinds = [...(options.faults ?? TOPOLOGY_FAULTS[topology])];
  const unsupported = faultKinds.filter((kind) => !(TOPOLOGY_FAULTS[topology] as readonly string[]).includes(kind));
  if (unsupported.length)
    throw new Error(`topology ${topology} does not support fault ${unsupported.join(', ')}; it supports ${TOPOLOGY_FAULTS[topology].join(', ')}`);
  const instanceCount = Math.max(2, options.instances ?? 2);
  const quietPeriodMs = options.quietPeriodMs ?? 3000;
  const convergenceTimeoutMs = options.convergenceTimeoutMs ?? 30_000;
  const outOfBandRate = options.outOfBandRate ?? 0;
  const outOfBandWindowMs = options.outOfBandWindowMs ?? 1000;
  if (!(outOfBandRate >= 0) || !Number.isFinite(outOfBandRate))
    throw new Error(`outOfBandRate must be a number of writes per second (0 for none), got ${outOfBandRate}`);
  const keepLogs = options.keepLogs ?? 'on-failure';
  const log = options.log ?? (() => {});
  const random = createRandom(seed);
  const external = options.signal;
  throwIfAborted(external);

  // One controller for the run: aborted from outside (SIGINT) or when the fault injector fails.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  external?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;

  const t0 = now();
  const logDir = mkdtempSync(path.join(tmpdir(), 'consistency-'));
  const { root: projectRoot } = projectPaths();
  const sourceRoot = options.sourceDir ? path.resolve(options.sourceDir) : projectRoot;
  let root = sourceRoot;
  let database: RunDatabase | undefined;
  let redis: RedisServer | undefined;
  let sentinels: SentinelSet | undefined;
  let cluster: ClusterSet | undefined;
  const apis: ApiInstance[] = [];
  let passed = false;
  let report: Report | undefined;

  try {
    if (!options.liveSource) root = snapshotSource(sourceRoot, logDir, projectRoot);
    log(`creating and migrating a database...`);
    database = await createRunDatabase(options.postgresUrl ?? DEFAULT_POSTGRES_URL);
    throwIfAborted(signal);

    let server: RedisServer;
    if (topology === 'sentinel') {
      sentinels = new SentinelSet({ servers: [await freePort(), await freePort()], sentinels: [await freePort(), await freePort(), await freePort()] }, logDir);
      await sentinels.start();
      server = sentinels.servers[0];
    } else if (topology === 'cluster') {
      cluster = new ClusterSet(await ClusterSet.freePorts(), logDir);
      await cluster.start();
      server = cluster.servers[0]!;
    } else {
      server = new RedisServer(await freePort(), path.join(logDir, 'redis.log'));
      await server.start();
    }
    redis = server;
    log(
      `database ${database.name}, ${cluster ? `Redis Cluster on ports ${cluster.servers.map((s) => s.port).join(',')}` : `redis-server on port ${redis.port}`}; starting ${instanceCount} API processes...`,
    );
    for (let i = 0; i < instanceCount; i++) {
      const name = String.fromCharCode(65 + i);
      apis.push(
        new ApiInstance({
          name,
          port: await freePort(),
          root,
          logFile: path.join(logDir, `api-${name}.log`),
          env: {
            DATABASE_URL: database.url,
            ...(sentinels ? sentinels.env : cluster ? cluster.env : { REDIS_URL: redis.url }),
            CACHE_NAMESPACE: NAMESPACE,
            NODE_ENV: 'development',
            LOG_LEVEL: 'warn',
            JWT_SECRET,
            ...options.apiEnv,
          },
        }),
      );
    }
    await Promise.all(apis.map((api) => api.start()));
    throwIfAborted(signal);
    log(`APIs ready on ports ${apis.map((a) => `${a.name}=${a.port}`).join(', ')}; creating the hot set...`);

    const observer = new Observer({ outOfBandWindowMs });
    const fixture = await createFixture({
      baseUrls: apis.map((a) => a.baseUrl),
      pool: database.pool,
      connectRedis: async () => {
        const client = cluster
          ? new Cluster(cluster.nodes, { maxRedirections: 16 })
          : new Redis((sentinels ? await sentinels.primary() : redis!).url, { maxRetriesPerRequest: 1 });
        if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
        return client;
      },
      namespace: NAMESPACE,
      products: options.products ?? 8,
      customers: options.customers ?? 8,
      stock: options.stock ?? 5,
      random: random.fork(),
      observer,
    });
    throwIfAborted(signal);

    log(
      `running ${clients} clients for ${durationSeconds} s, faults: ${faultKinds.join(', ') || 'none'}` +
        `${outOfBandRate > 0 ? `, ${outOfBandRate} out-of-band SQL writes/s (window ${outOfBandWindowMs} ms)` : ''}...`,
    );
    let loadStopped = false;
    let finalFaultStruck = false;
    let faultError: unknown;
    const faultRandom = random.fork();
    const workloadRandom = random.fork();
    const outOfBandRandom = random.fork();
    let outOfBandError: unknown;
    const outOfBandDone: Promise<OutOfBandStats | null> =
      outOfBandRate > 0
        ? runOutOfBandClient({
            databaseUrl: database.url,
            fixture,
            ratePerSecond: outOfBandRate,
            random: outOfBandRandom,
            observer,
            stopped: () => loadStopped,
            signal,
          }).catch((error: unknown) => {
            outOfBandError = error;
            controller.abort();
            return null;
          })
        : Promise.resolve(null);
    const faultsDone = injectFaults({
      kinds: faultKinds,
      random: faultRandom,
      redis,
      ...(sentinels && { sentinels }),
      ...(cluster && { cluster }),
      apis,
      stopped: () => loadStopped,
      loadDeadline: now() + durationSeconds * 1000,
      onFinalFault: () => (finalFaultStruck = true),
      signal,
      ...(options.faultIntervalMs && { intervalMs: options.faultIntervalMs }),
      onFault: (f) => log(`  fault #${f.index} ${f.kind} at ${((f.startedAt - t0) / 1000).toFixed(1)} s: ${f.detail}`),
    }).catch((error: unknown) => {
      faultError = error;
      controller.abort();
      return [] as FaultRecord[];
    });
    let stats: WorkloadStats;
    try {
      stats = await runWorkload({
        fixture,
        apis,
        clients,
        durationMs: durationSeconds * 1000,
        ...(options.maxOperations !== undefined && { maxOperations: options.maxOperations }),
        random: workloadRandom,
        observer,
        signal,
        shouldStop: () => finalFaultStruck,
      });
    } finally {
      loadStopped = true;
    }
    const faults = await faultsDone;
    const outOfBand = await outOfBandDone;
    // The out-of-band client ends quietly when the fault injector aborts the run, not the other way round: its error first.
    if (outOfBandError) throw outOfBandError;
    if (faultError) throw faultError;
    throwIfAborted(signal);
    const loadEnd = now();

    const lastFault = faults.length ? faults[faults.length - 1]! : undefined;
    // The last change to converge to: the end of the last fault, or of the load; or a later out-of-band COMMIT.
    const faultsOver = lastFault ? Math.max(...faults.map((f) => f.endedAt)) : stats.stoppedAt;
    const reference = Math.max(faultsOver, outOfBand?.lastCommittedAt ?? 0);
    const measuredFrom = reference > faultsOver ? 'last out-of-band write' : lastFault ? 'last fault' : 'end of load';
    const quietUntil = Math.max(loadEnd, reference) + quietPeriodMs;
    log(`load stopped after ${stats.total} operations; waiting ${quietPeriodMs} ms, then up to ${convergenceTimeoutMs / 1000} s for convergence...`);

    // After failovers, the primary is whichever server the Sentinels name now.
    const checker = cluster
      ? new Cluster(cluster.nodes, { maxRedirections: 16 })
      : new Redis((sentinels ? await sentinels.primary() : redis).url, { maxRetriesPerRequest: 3 });
    checker.on('error', () => {});
    let convergence;
    let lost: Report['lostAcknowledgedWrites'];
    try {
      convergence = await waitForConvergence(checker, database.pool, NAMESPACE, { quietUntil, deadline: quietUntil + convergenceTimeoutMs, signal });
      throwIfAborted(signal);
      lost = await lostAcknowledgedWrites(database, observer);
    } finally {
      checker.disconnect();
    }

    const staleReads = observer.summary(faults, { origin: t0 });
    const byInstance: Record<string, number> = {};
    for (const perInstance of Object.values(stats.operations)) {
      for (const [name, c] of Object.entries(perInstance)) byInstance[name] = (byInstance[name] ?? 0) + c.ok + c.refused + c.unknown + c.failed;
    }
    const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
    const faultsByKind: Record<string, number> = {};
    for (const f of faults) faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1;
    const loadDurationMs = stats.stoppedAt - stats.startedAt;

    passed = staleReads.total === 0 && convergence.final.divergent === 0 && lost.count === 0;
    report = {
      passed,
      settings: {
        seed,
        clients,
        durationSeconds,
        maxOperations: options.maxOperations ?? null,
        topology,
        faults: faultKinds,
        instances: apis.map((a) => ({ name: a.name, port: a.port })),
        redisPort: redis.port,
        database: database.name,
        namespace: NAMESPACE,
        source: `${options.liveSource ? 'live' : 'snapshot of'} ${path.join(sourceRoot, 'src')} (sha256 ${sourceHash(path.join(root, 'src'))}${options.liveSource ? ' at the end' : ''})`,
        quietPeriodMs,
        convergenceTimeoutMs,
        outOfBand: outOfBandRate > 0 ? { ratePerSecond: outOfBandRate, windowMs: outOfBandWindowMs } : null,
        apiEnv: options.apiEnv ?? {},
      },
      runDurationMs: 0,
      loadDurationMs: Math.round(loadDurationMs),
      operations: { total: stats.total, byKind: stats.operations, byInstance, perSecond: stats.total / Math.max(loadDurationMs / 1000, 0.001) },
      // Those of the load (the setup's ~25 acknowledgements are left out of the count, not out of the bookkeeping).
      acknowledgedWrites: MUTATION_KINDS.reduce((n, kind) => n + Object.values(stats.operations[kind] ?? {}).reduce((m, c) => m + c.ok, 0), 0),
      unknownOutcomes: { total: sum(stats.unknownOutcomes), byReason: stats.unknownOutcomes },
      refusals: { total: sum(stats.refusals), byCode: stats.refusals },
      queryFailures: { total: sum(stats.queryFailures), byReason: stats.queryFailures },
      faults: {
        total: faults.length,
        byKind: faultsByKind,
        lastFaultEndedAt: lastFault ? Math.round(faultsOver - t0) : null,
        log: faults.map((f) => ({ ...f, startedAt: Math.round(f.startedAt - t0), endedAt: Math.round(f.endedAt - t0) })),
      },
      instances: apis.map((a) => ({ name: a.name, starts: a.starts, kills: a.kills, logFile: a.logFile })),
      staleReads,
      outOfBand: outOfBand && outOfBandReport(outOfBand, staleReads, observer),
      divergence: {
        afterQuietPeriod: convergence.afterQuietPeriod,
        final: convergence.final,
        divergentEntries: convergence.final.divergent,
        inFlightAfterQuietPeriod: convergence.afterQuietPeriod.inFlight,
        converged: convergence.converged,
        convergenceMs: convergence.convergedAt === null ? null : Math.max(0, Math.round(convergence.convergedAt - reference)),
        convergenceMeasuredFrom: measuredFrom,
        convergenceAfterLoadMs: convergence.convergedAt === null ? null : Math.max(0, Math.round(convergence.convergedAt - loadEnd)),
        loadAfterLastFaultMs: lastFault ? Math.max(0, Math.round(stats.stoppedAt - faultsOver)) : null,
        checks: convergence.checks,
      },
      lostAcknowledgedWrites: lost,
      apiLogErrors: logErrors(apis.map((a) => a.logFile)),
      logDir,
    };
    report.runDurationMs = Math.round(now() - t0);
    return report;
  } catch (error) {
    if (signal.aborted && !external?.aborted) throw error; // the fault injector's own error
    if (external?.aborted) throw new AbortedError();
    throw error;
  } finally {
    external?.removeEventListener('abort', onAbort);
    await Promise.allSettled(apis.map((api) => api.stop()));
    await redis?.stop().catch(() => {});
    await sentinels?.stop().catch(() => {});
    await cluster?.stop().catch(() => {});
    await database?.drop().catch((error: Error) => log(`could not drop database ${database?.name}: ${error.message}`));
    rmSync(path.join(logDir, 'app'), { recursive: true, force: true });
    const keep = (keepLogs === true || (keepLogs === 'on-failure' && !passed && !external?.aborted)) && readdirSync(logDir).length > 0;
    if (!keep) {
      rmSync(logDir, { recursive: true, force: true });
      if (report) report.logDir = null;
    } else {
      log(`logs kept in ${logDir} (${readdirSync(logDir).join(', ')})`);
    }
  }
}

function outOfBandReport(stats: OutOfBandStats, staleReads: Report['staleReads'], observer: Observer): NonNullable<Report['outOfBand']> {
  const seconds = Math.max((stats.stoppedAt - stats.startedAt) / 1000, 0.001);
  const failures = Object.values(stats.failures).reduce((a, b) => a + b, 0);
  return {
    writes: stats.committed,
    perSecond: stats.committed / seconds,
    byKind: stats.byKind,
    noOps: stats.noOps,
    failures: { total: failures, byReason: stats.failures },
    staleReads: staleReads.outOfBand,
    visibility: observer.outOfBandVisibility(),
  };
}

/**
 * Every acknowledged version, and every version committed out of band, must be in the database
 * (no root row is deleted in this workload, so the row must exist).
 */
async function lostAcknowledgedWrites(database: RunDatabase, observer: Observer): Promise<Report['lostAcknowledgedWrites']> {
  const { rows } = await database.pool.query<{ key: string; version: number }>(
    `SELECT 'User:' || id AS key, version FROM "User"
     UNION ALL SELECT 'Product:' || id, version FROM "Product"
     UNION ALL SELECT 'Cart:' || "userId", version FROM "Cart"`,
  );
  const versions = new Map(rows.map((r) => [r.key, r.version]));
  const examples: string[] = [];
  let count = 0;
  for (const [entity, ack] of observer.highestAcknowledged()) {
    const version = versions.get(entity);
    if (version === undefined || version < ack.version) {
      count++;
      if (examples.length < 10) examples.push(`${entity}: v${ack.version} acknowledged, ${version === undefined ? 'no row' : `v${version}`} in the database`);
    }
  }
  return { count, examples };
}
