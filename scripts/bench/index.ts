/**
 * The benchmark: the write-through API against its alternatives and its
 * ceiling, with two reference points, in one run.
 *
 * It creates its own database (`bench_<random>`, migrated with the project's
 * migrations, bulk-loaded by `seed.ts`), then starts the API once per mode
 * (`BENCH_VARIANT`, scripts/bench/variants.ts), in turn, each with a fresh Redis namespace, and measures each
 * the same way (`run-mode.ts`): the same operations, the same mixes, the same
 * connections and durations, the same seeded sequence of requests. Ratios
 * between modes are the results (`goals.ts`, `report.ts`); absolute numbers
 * are context.
 *
 * The reference points (`references.ts`: `raw-http`, node:http answering the
 * API's bytes; `bare-apollo`, the framework with constant resolvers) run right
 * after the first mode whose API answered, with that API's answers, and are
 * measured the same way for the reads they can answer (a product by id, the
 * cart of 20 items).
 *
 * The `write-through-cluster` mode is the write-through API on a Redis
 * Cluster (3 masters, 3 replicas) that the run starts for that mode alone and
 * removes after it (`cluster.ts`); the report compares it with the
 * `write-through` mode of the same run (`cluster-compare.ts`) and checks that
 * the cart of 20 costs at most one read round trip per node (`node-trips.ts`).
 *
 * The API processes run from a snapshot of `src/` taken when the run starts
 * (the consistency checker's `snapshotSource`), so edits to the working tree
 * during a run cannot mix two versions of the code.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { toError } from 'prisma-write-through';
import { createTokenService } from '../../src/auth/tokens.js';
import { projectPaths } from '../migrations.js';
import { createRunDatabase, DEFAULT_POSTGRES_URL, type RunDatabase } from '../consistency/database.js';
import { SNAPSHOT_PATHS, snapshotSource, sourceHash } from '../consistency/source.js';
import { AbortedError, now, throwIfAborted } from '../consistency/time.js';
import { evaluateGoals, type Goal } from './goals.js';
import { machineInfo, revision, type MachineInfo, type Revision } from './machine.js';
import { CpuMeter } from './noise.js';
import { writeReport, type WrittenFiles } from './report.js';
import { MODES, emptyModeResult, isClusterMode, runMode, type Mode, type ModeResult, type ModeSettings } from './run-mode.js';
import { startBenchCluster, type BenchCluster } from './cluster.js';
import { compareCluster, type ClusterComparison } from './cluster-compare.js';
import { OPERATIONS, type OperationName } from './operations.js';
import {
  DEFAULT_REFERENCES,
  REFERENCE_OPERATIONS,
  captureAnswers,
  emptyReferenceResult,
  runReference,
  type CapturedAnswers,
  type Reference,
  type ReferenceResult,
} from './references.js';
import { SESSION_MS, seedDataset, type SeedSummary } from './seed.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

export { MODES, type Mode } from './run-mode.js';
export { WORKLOADS, type WorkloadName } from './workloads.js';
export { REFERENCES, DEFAULT_REFERENCES, type Reference } from './references.js';
export { AbortedError } from '../consistency/time.js';

export interface BenchmarkOptions {
  /** Seconds per measurement. @default 10 (smoke: 2) */
  durationSeconds?: number;
  /** Seconds of unmeasured load per mode before measuring. @default 5 (smoke: 1) */
  warmupSeconds?: number;
  /** Concurrent connections of the load generator. @default 16 (smoke: 8) */
  connections?: number;
  /** @default 100000 (smoke: 500) */
  products?: number;
  /** @default 10000 (smoke: 50) */
  users?: number;
  /** @default every mode */
  modes?: readonly Mode[];
  /** @default every workload */
  workloads?: readonly WorkloadName[];
  /** Reference points measured next to the modes (`references.ts`). @default DEFAULT_REFERENCES (raw-http, bare-apollo) */
  references?: readonly Reference[];
  /** Measure each operation alone under load. @default true */
  operationRuns?: boolean;
  /** The operations measured alone. @default every operation (smoke: the reference points' reads, product and cart) */
  operations?: readonly OperationName[];
  /**
   * Run each mode's API under the V8 CPU profiler (`node --cpu-prof`): the
   * report gets each measurement's CPU per request by category, its top
   * functions and a flame graph. Profiling slows the API a little. @default false
   */
  profile?: boolean;
  /** Cart sizes of the scaling measurement. @default [1, 10, 100, 1000] (smoke: [1, 10, 100]) */
  scalingSizes?: readonly number[];
  /** Products the load reads. @default min(10000, products) */
  workingSetProducts?: number;
  /** Customers the load signs in as. @default min(1000, users) */
  activeUsers?: number;
  /** The smoke preset: a tiny data set and short measurements (checks the benchmark runs, not speed). */
  smoke?: boolean;
  /** Write the report (README.md, results.json, SVG charts) to this directory. @default not written */
  out?: string;
  /** Keep the database at the end. @default false */
  keep?: boolean;
  /** PostgreSQL server. @default postgresql://postgres@127.0.0.1:5432 */
  postgresUrl?: string;
  /** @default redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** Seed of every random choice. @default 1 */
  seed?: number;
  /** Run the API from the working tree instead of a snapshot of src/. @default false */
  liveSource?: boolean;
  /** Run the API from this git revision (e.g. HEAD: the committed code, without the working tree's edits). @default the working tree */
  sourceRev?: string;
  /** A measurement during which other processes used more CPUs than this is taken again. @default 0.25 */
  maxOtherCpus?: number;
  /** How many times a noisy measurement may be taken again. @default 2 (smoke: 0) */
  retries?: number;
  /** How long to wait for other processes to calm down before each measurement, in s. @default 20 (smoke: 0) */
  quietWaitSeconds?: number;
  /** Show a progress bar while seeding (on a TTY). @default false */
  progress?: boolean;
  /** The command line, for the report. */
  command?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface BenchmarkSettings {
  smoke: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  products: number;
  users: number;
  modes: Mode[];
  workloads: WorkloadName[];
  references: Reference[];
  operationRuns: boolean;
  operations: OperationName[];
  profile: boolean;
  scalingSizes: number[];
  seed: number;
  source: string;
  maxOtherCpus: number;
  retries: number;
  quietWaitSeconds: number;
}

export interface BenchmarkResults {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  command: string;
  machine: MachineInfo;
  revision: Revision;
  settings: BenchmarkSettings;
  dataset: SeedSummary & {
    database: string;
    kept: boolean;
    workingSetProducts: number;
    hotProducts: number;
    activeUsers: number;
    hotUsers: number;
    scalingSizes: number[];
  };
  modes: ModeResult[];
  /** The reference points, in `settings.references` order. */
  references: ReferenceResult[];
  /** Write-through on a Redis Cluster against write-through on one Redis (null unless both modes ran). */
  cluster: ClusterComparison | null;
  goals: Goal[];
  /** API logs, kept when a mode failed. */
  logDir: string | null;
  files: WrittenFiles | null;
}

/** Extracts the API's sources at `rev` (src/ and what a snapshot takes besides: SNAPSHOT_PATHS) into `dir`; returns the commit. */
function exportRevision(projectRoot: string, rev: string, dir: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  mkdirSync(dir, { recursive: true });
  const tar = path.join(dir, '..', 'rev.tar');
  // Only what the revision has (an older one may predate the package or the benchmark's server).
  const present = git('ls-tree', '--name-only', commit, '--', ...SNAPSHOT_PATHS)
    .split('\n')
    .filter(Boolean);
  git('archive', '--format=tar', '-o', tar, commit, '--', 'src', ...present);
  execFileSync('tar', ['-xf', tar, '-C', dir]);
  rmSync(tar, { force: true });
  // Generated at install, not committed: the working tree's (generated from the same prisma/schema.prisma, normally).
  const generated = path.join('src', 'generated', 'prisma');
  if (!existsSync(path.join(dir, generated))) cpSync(path.join(projectRoot, generated), path.join(dir, generated), { recursive: true });
  return commit;
}

const JWT_SECRET = 'benchmark-jwt-secret-shared-by-the-harness-and-every-mode';

/**
 * Runs the benchmark (see the file's comment) and returns its results; with
 * `options.out`, also writes the report there. Durations are in ms, rates in
 * requests per second, latencies in ms. A mode that fails (its API or, for
 * `write-through-cluster`, its Redis Cluster did not start) is recorded with
 * its `error` and the run goes on. Rejects with `AbortedError` when `signal`
 * aborts, and with the cause when the run cannot go on (no PostgreSQL, the
 * seeding failed); the database is dropped (unless `keep`) and every process
 * it started is stopped either way.
 */
export async function runBenchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResults> {
  const smoke = options.smoke === true;
  const settings: BenchmarkSettings = {
    smoke,
    durationSeconds: options.durationSeconds ?? (smoke ? 2 : 10),
    warmupSeconds: options.warmupSeconds ?? (smoke ? 1 : 5),
    connections: options.connections ?? (smoke ? 8 : 16),
    products: options.products ?? (smoke ? 500 : 100_000),
    users: options.users ?? (smoke ? 50 : 10_000),
    modes: [...(options.modes ?? MODES)],
    workloads: [...(options.workloads ?? WORKLOADS)],
    references: [...(options.references ?? DEFAULT_REFERENCES)],
    operationRuns: options.operationRuns ?? true,
    // The smoke run measures alone only what the reference points are compared on.
    operations: [...(options.operations ?? (smoke ? REFERENCE_OPERATIONS : OPERATIONS))],
    profile: options.profile === true,
    scalingSizes: [...(options.scalingSizes ?? (smoke ? [1, 10, 100] : [1, 10, 100, 1000]))],
    seed: options.seed ?? 1,
    source: '',
    maxOtherCpus: options.maxOtherCpus ?? 0.25,
    retries: options.retries ?? (smoke ? 0 : 2),
    quietWaitSeconds: options.quietWaitSeconds ?? (smoke ? 0 : 20),
  };
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const log = options.log ?? (() => {});
  const signal = options.signal;
  throwIfAborted(signal);

  const t0 = now();
  const startedAt = new Date();
  const { root: projectRoot } = projectPaths();
  const logDir = mkdtempSync(path.join(tmpdir(), 'bench-'));
  const runId = randomBytes(3).toString('hex');
  let database: RunDatabase | undefined;
  let keepLogs = false;
  try {
    let rev: Revision | undefined;
    let sourceRoot = projectRoot;
    if (options.sourceRev) {
      if (options.liveSource) throw new Error('liveSource and sourceRev exclude each other');
      const commit = exportRevision(projectRoot, options.sourceRev, path.join(logDir, 'rev'));
      sourceRoot = path.join(logDir, 'rev');
      rev = { commit, dirty: false };
    }
    const root = options.liveSource ? projectRoot : snapshotSource(sourceRoot, logDir, projectRoot);
    settings.source = options.sourceRev
      ? `snapshot of src/ at ${options.sourceRev} (sha256 ${sourceHash(path.join(root, 'src'))})`
      : `${options.liveSource ? 'live' : "snapshot of the working tree's"} src/ (sha256 ${sourceHash(path.join(root, 'src'))})`;

    log(`creating and migrating a database...`);
    database = await createRunDatabase(options.postgresUrl ?? DEFAULT_POSTGRES_URL, { prefix: 'bench' });
    throwIfAborted(signal);
    log(`database ${database.name}; seeding ${settings.products.toLocaleString('en-US')} products and ${settings.users.toLocaleString('en-US')} users...`);
    const tokens = createTokenService({ secret: JWT_SECRET, ttlSeconds: 24 * 3600 });
    const data = await seedDataset({
      pool: database.pool,
      products: settings.products,
      users: settings.users,
      scalingSizes: settings.scalingSizes,
      ...(options.workingSetProducts !== undefined && { workingSetProducts: options.workingSetProducts }),
      ...(options.activeUsers !== undefined && { activeUsers: options.activeUsers }),
      seed: settings.seed,
      sign: (id) => tokens.sign({ userId: id, sessionId: id, expiresAt: new Date(Date.now() + SESSION_MS) }),
      progress: options.progress === true,
      log,
    });
    throwIfAborted(signal);
    const machine = await machineInfo(database.pool, redisUrl);
    const meter = new CpuMeter({ pool: database.pool, database: database.name, redisPort: Number(new URL(redisUrl).port || 6379) });

    const modes: ModeResult[] = [];
    const references: ReferenceResult[] = [];
    // The API's answers the reference points serve: captured from the first mode whose API answered.
    const captured: { answers: CapturedAnswers | null } = { answers: null };
    const capture = async (baseUrl: string, mode: Mode) => {
      try {
        captured.answers = await captureAnswers(baseUrl, data, mode);
        log(
          `    answers captured for the reference points: ${REFERENCE_OPERATIONS.map((op) => `${op} ${Buffer.byteLength(captured.answers!.operations[op].body)} bytes`).join(', ')}`,
        );
      } catch (error) {
        log(`    could not capture answers for the reference points: ${toError(error).message}`);
      }
    };
    const modeSettings: ModeSettings = {
      connections: settings.connections,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      operationRuns: settings.operationRuns,
      operations: settings.operations,
      profile: settings.profile,
      workloads: settings.workloads,
      scalingBudgetMs: smoke ? 1000 : 3000,
      seed: settings.seed,
      maxOtherCpus: settings.maxOtherCpus,
      retries: settings.retries,
      quietWaitMs: settings.quietWaitSeconds * 1000,
    };
    const runReferences = async (answers: CapturedAnswers) => {
      for (const reference of settings.references) {
        log(`reference ${reference}:`);
        references.push(
          await runReference({
            reference,
            projectRoot,
            schemaFile: path.join(root, 'schema.graphql'),
            answers,
            logDir,
            data,
            settings: modeSettings,
            meter: meter.supported ? meter : null,
            ...(signal && { signal }),
            log,
          }),
        );
        throwIfAborted(signal);
      }
    };
    for (const mode of settings.modes) {
      log(`mode ${mode}:`);
      // Every mode starts from the same kind of database: the previous mode's dead rows vacuumed
      // (this server may run without autovacuum), and its dirty pages written out.
      await database.pool.query('VACUUM (ANALYZE) "Product", "User", "Cart", "CartItem", "CacheOutbox"');
      await database.pool.query('CHECKPOINT').catch(() => {});
      // The cluster mode's Redis Cluster: started for it alone, discarded after it (nodes killed, files removed).
      let cluster: BenchCluster | null = null;
      if (isClusterMode(mode)) {
        try {
          cluster = await startBenchCluster({ parentDir: logDir, ...(signal && { signal }), log });
        } catch (error) {
          if (signal?.aborted) throw new AbortedError();
          const failed = emptyModeResult(mode);
          failed.error = `could not start a Redis Cluster: ${error instanceof Error ? error.message : String(error)}`;
          log(`  ${mode}: FAILED: ${failed.error}`);
          modes.push(failed);
          continue;
        }
      }
      const result = await runMode({
        mode,
        root,
        logDir,
        profileDir: options.out ?? logDir,
        databaseUrl: database.url,
        pool: database.pool,
        redisUrl,
        cluster,
        namespace: `bench_${mode.replace(/-/g, '_')}_${runId}:`,
        jwtSecret: JWT_SECRET,
        data,
        settings: modeSettings,
        ...(settings.references.length > 0 && !captured.answers && { onStart: (baseUrl: string) => capture(baseUrl, mode) }),
        meter: meter.supported ? meter : null,
        ...(signal && { signal }),
        log,
      }).finally(() => cluster?.stop());
      if (result.error) keepLogs = true;
      modes.push(result);
      throwIfAborted(signal);
      if (captured.answers && references.length === 0 && settings.references.length > 0) await runReferences(captured.answers);
    }
    if (references.length === 0 && settings.references.length > 0) {
      for (const reference of settings.references) {
        const failed = emptyReferenceResult(reference);
        failed.error = 'no answers to serve: no mode of the run answered the product and cart queries';
        references.push(failed);
      }
    }
    if (references.some((r) => r.error)) keepLogs = true;

    machine.loadAverageAtEnd = Math.round(os.loadavg()[0]! * 100) / 100;
    const results: BenchmarkResults = {
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      durationMs: 0,
      command: options.command ?? 'runBenchmark()',
      machine,
      revision: rev ?? revision(projectRoot),
      settings,
      dataset: {
        ...data.summary,
        database: database.name,
        kept: options.keep === true,
        workingSetProducts: data.workingSetProducts,
        hotProducts: data.hotProducts.length,
        activeUsers: data.activeUsers.length,
        hotUsers: data.hotUsers.length,
        scalingSizes: data.scalingUsers.map((s) => s.size),
      },
      modes,
      references,
      cluster: compareCluster(modes),
      goals: evaluateGoals(modes, settings.maxOtherCpus, references),
      logDir: keepLogs ? logDir : null,
      files: null,
    };
    results.finishedAt = new Date().toISOString();
    results.durationMs = Math.round(now() - t0);
    if (options.out) results.files = writeReport(results, options.out);
    return results;
  } catch (error) {
    if (signal?.aborted) throw new AbortedError();
    keepLogs = true;
    throw error;
  } finally {
    if (database && !options.keep) await database.drop().catch((error: Error) => log(`could not drop database ${database?.name}: ${error.message}`));
    else if (database) await database.pool.end().catch(() => {});
    rmSync(path.join(logDir, 'app'), { recursive: true, force: true });
    rmSync(path.join(logDir, 'rev'), { recursive: true, force: true });
    if (!keepLogs || readdirSync(logDir).length === 0) rmSync(logDir, { recursive: true, force: true });
    else log(`API logs kept in ${logDir}`);
  }
}
