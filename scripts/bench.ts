/**
 * The benchmark, from the command line: the write-through API against its
 * alternatives (no cache, naive N+1, cache-aside) and its ceiling, in one run,
 * on a bulk-loaded data set of its own. Writes a Markdown report, SVG charts
 * and the raw JSON to `--out` (default docs/benchmarks), and updates the link
 * in the project's README.
 *
 *   npm run bench -- [--duration 10] [--warmup 5] [--connections 16] [--products 100000] [--users 10000]
 *                    [--modes write-through,no-cache,naive,cache-aside,ceiling] [--workloads read-heavy,balanced,write-heavy]
 *                    [--no-operation-runs] [--operations product,updateProduct] [--references raw-http,bare-apollo] [--profile] [--scaling 1,10,100,1000] [--seed 1] [--smoke] [--out docs/benchmarks] [--no-readme] [--keep] [--rev HEAD]
 *
 * Exit code: 0 when the run completed (whether or not each goal was met: the
 * report says), 2 if it could not run, 130 on SIGINT.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectPaths } from './migrations.js';
import { integer, names } from './consistency/cli.js';
import { killAllChildrenNow } from './consistency/processes.js';
import { AbortedError, MODES, WORKLOADS, runBenchmark, type BenchmarkOptions } from './bench/index.js';
import { OPERATIONS } from './bench/operations.js';
import { DEFAULT_REFERENCES, REFERENCES } from './bench/references.js';
import { formatGoals, updateProjectReadme } from './bench/report.js';

const USAGE = `usage: npm run bench -- [options]
  --duration <s>          seconds per measurement (default 10; smoke 2)
  --warmup <s>            unmeasured load per mode before measuring (default 5; smoke 1)
  --connections <n>       concurrent connections of the load generator (default 16; smoke 8)
  --products <n>          products to seed (default 100000; smoke 500)
  --users <n>             users with a cart of 20 items to seed (default 10000; smoke 50)
  --working-set <n>       products the load reads (default min(10000, products))
  --active-users <n>      users the load signs in as (default min(1000, users))
  --modes <a,b>           modes to run, in order (default ${MODES.join(',')});
                          write-through-cluster starts its own Redis Cluster (redis-server and redis-cli on the PATH)
  --workloads <a,b>       workload mixes (default ${WORKLOADS.join(',')}; '' for none)
  --no-operation-runs     skip measuring each operation alone under load (the goals need them)
  --operations <a,b>      operations measured alone (default ${OPERATIONS.join(',')}; smoke product,cart)
  --references <a,b>      reference points measured next to the modes (default ${DEFAULT_REFERENCES.join(',')}; '' for none;
                          experiments: ${REFERENCES.filter((r) => !DEFAULT_REFERENCES.includes(r)).join(', ')})
  --profile               run each API under node --cpu-prof: CPU per request by category, top functions,
                          flame graphs in the report (slows the API a little; for diagnosis, not for publishing)
  --scaling <sizes>       cart sizes of the scaling measurement (default 1,10,100,1000; smoke 1,10,100)
  --seed <n>              seed of every random choice (default 1)
  --smoke                 a tiny, quick run that checks the benchmark works (not speed)
  --out <dir>             where to write the report (default docs/benchmarks; smoke: not written unless given)
  --max-other-cpu <n>     take a measurement again when other processes used more CPUs than this meanwhile (default 0.25)
  --retries <n>           how many times a noisy measurement may be taken again (default 2; smoke 0)
  --quiet-wait <s>        wait up to this long for other processes to calm down before each measurement (default 20; smoke 0)
  --no-readme             do not update the benchmark link in the project's README
  --keep                  keep the benchmark database
  --live-source           run the API from the working tree instead of a snapshot of src/ taken at the start
  --rev <rev>             run the API from a git revision (e.g. HEAD: the committed code, not the working tree's edits)`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        products: { type: 'string' },
        users: { type: 'string' },
        'working-set': { type: 'string' },
        'active-users': { type: 'string' },
        modes: { type: 'string' },
        workloads: { type: 'string' },
        'no-operation-runs': { type: 'boolean' },
        operations: { type: 'string' },
        references: { type: 'string' },
        profile: { type: 'boolean' },
        scaling: { type: 'string' },
        seed: { type: 'string' },
        smoke: { type: 'boolean' },
        out: { type: 'string' },
        'no-readme': { type: 'boolean' },
        'max-other-cpu': { type: 'string' },
        retries: { type: 'string' },
        'quiet-wait': { type: 'string' },
        keep: { type: 'boolean' },
        'live-source': { type: 'boolean' },
        rev: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { root } = projectPaths();
  const smoke = values.smoke === true;
  const out = values.out ?? (smoke ? undefined : path.join(root, 'docs', 'benchmarks'));
  // Quoted where a shell needs it (an empty value such as --workloads '', a space), so the report's command runs as printed.
  const args = process.argv
    .slice(2)
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(' ');
  const options: BenchmarkOptions = {
    smoke,
    progress: true,
    // As invoked: through the npm script, or directly.
    command: process.env.npm_lifecycle_event?.startsWith('bench')
      ? `npm run ${process.env.npm_lifecycle_event}${args ? ` -- ${args}` : ''}`
      : `npx tsx scripts/bench.ts${args ? ` ${args}` : ''}`,
    log: (line) => console.error(`[bench] ${line}`),
    ...(out && { out: path.resolve(out) }),
  };
  try {
    const set = <K extends keyof BenchmarkOptions>(key: K, value: BenchmarkOptions[K] | undefined) => {
      if (value !== undefined) options[key] = value;
    };
    set('durationSeconds', integer('duration', values.duration, 1));
    set('warmupSeconds', integer('warmup', values.warmup, 0));
    set('connections', integer('connections', values.connections, 1));
    set('products', integer('products', values.products, 20));
    set('users', integer('users', values.users, 1));
    set('workingSetProducts', integer('working-set', values['working-set'], 20));
    set('activeUsers', integer('active-users', values['active-users'], 1));
    set('seed', integer('seed', values.seed, 0));
    if (values.modes) options.modes = names('mode', values.modes, MODES);
    if (values.workloads !== undefined) options.workloads = names('workload', values.workloads, WORKLOADS);
    set('retries', integer('retries', values.retries, 0));
    set('quietWaitSeconds', integer('quiet-wait', values['quiet-wait'], 0));
    if (values['max-other-cpu'] !== undefined) {
      const n = Number(values['max-other-cpu']);
      if (!(n > 0)) throw new Error(`--max-other-cpu must be a positive number of CPUs, got ${JSON.stringify(values['max-other-cpu'])}`);
      options.maxOtherCpus = n;
    }
    if (values['no-operation-runs']) options.operationRuns = false;
    if (values.operations !== undefined) options.operations = names('operation', values.operations, OPERATIONS);
    if (values.references !== undefined) options.references = values.references === '' ? [] : names('reference', values.references, REFERENCES);
    if (values.profile) options.profile = true;
    if (values.scaling) options.scalingSizes = values.scaling.split(',').map((s) => integer('scaling', s.trim(), 1)!);
    if (values.keep) options.keep = true;
    if (values['live-source']) options.liveSource = true;
    if (values.rev) options.sourceRev = values.rev;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }

  const controller = new AbortController();
  options.signal = controller.signal;
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      console.error(`\n[bench] ${signal}: stopping, killing the API and dropping the database (again to force)...`);
      controller.abort();
    } else if (Date.now() - firstSignalAt > 2000) {
      killAllChildrenNow();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const results = await runBenchmark(options);
    console.log(`\nGoals (ratios measured in this run):\n${formatGoals(results.goals)}`);
    if (results.files) {
      console.log(
        `\nreport: ${path.relative(process.cwd(), results.files.readme)} (also ${path.basename(results.files.throughputChart)}, ${path.basename(results.files.scalingChart)}, ${path.basename(results.files.json)})`,
      );
      // A profiled run is for diagnosis: it never becomes the published one.
      if (!values['no-readme'] && !smoke && !values.profile) {
        const reportPath = path.relative(root, results.files.readme).split(path.sep).join('/');
        if (!reportPath.startsWith('..') && updateProjectReadme(path.join(root, 'README.md'), results, reportPath))
          console.log('README.md: benchmark link updated');
      }
    }
    const failed = results.modes.filter((m) => m.error);
    if (failed.length) console.error(`[bench] ${failed.length} mode(s) failed: ${failed.map((m) => `${m.mode} (${m.error})`).join('; ')}`);
    return 0;
  } catch (error) {
    if (error instanceof AbortedError) {
      console.error('[bench] interrupted');
      return 130;
    }
    console.error(`[bench] the benchmark could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 2;
  }
}

main().then(
  (code) => {
    killAllChildrenNow();
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    killAllChildrenNow();
    process.exit(2);
  },
);
