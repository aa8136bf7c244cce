/**
 * The consistency checker, from the command line: a black-box run of the API
 * (its own PostgreSQL database, its own redis-server, two or more API
 * processes) under concurrent load and injected faults, then a check of the
 * write-through protocol's guarantees: no stale read after an acknowledged
 * write, and a cache that converges to the database once the system is quiet.
 * With --out-of-band, a client of its own also writes the hot set's rows with
 * plain SQL beside the load (as an operator or another service would,
 * bypassing the API): such a write counts as acknowledged --out-of-band-window
 * ms after its COMMIT (the documented promise: visible through the API within
 * 1 s), and the stale reads it causes are counted apart.
 *
 *   npm run check:consistency -- [--duration 60] [--clients 16] [--ops N] [--seed 1]
 *                                [--topology single|sentinel|cluster] [--no-faults | --faults <kinds>] [--fault-interval 1000-3000]
 *                                [--instances 2] [--quiet 3000] [--convergence-timeout 30]
 *                                [--out-of-band <writes/s>] [--out-of-band-window 1000] [--api-env KEY=VALUE ...]
 *                                [--json report.json] [--keep-logs] [--live-source] [--source <dir>]
 *
 * Exit code: 0 if there were no stale reads and no divergent entries, 1 if
 * there were, 2 if the check itself could not run, 130 on SIGINT.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AbortedError, TOPOLOGY_FAULTS, formatReport, parseFaultKinds, runConsistencyCheck, type ConsistencyOptions } from './consistency/index.js';
import { integer, positiveNumber } from './consistency/cli.js';
import { killAllChildrenNow } from './consistency/processes.js';

const USAGE = `usage: npm run check:consistency -- [options]
  --duration <s>              length of the load (default 60)
  --clients <n>               concurrent clients (default 16)
  --ops <n>                   stop after n operations in all (default: no limit)
  --seed <n>                  seed of every random choice (default 1)
  --topology single|sentinel|cluster
                              one redis-server (default); a primary, a replica and 3 Sentinels;
                              or a Cluster of 3 masters and 3 replicas
  --no-faults                 inject no faults
  --faults <k1,k2>            fault kinds to inject (default all of the topology's:
                              single: ${TOPOLOGY_FAULTS.single.join(', ')};
                              sentinel: ${TOPOLOGY_FAULTS.sentinel.join(', ')}; cluster: ${TOPOLOGY_FAULTS.cluster.join(', ')})
  --fault-interval <min-max>  pause between faults in ms (default 1000-3000)
  --instances <n>             API processes, at least 2 (default 2)
  --quiet <ms>                quiet period after the load (default 3000)
  --convergence-timeout <s>   how long the cache may take to converge after that (default 30)
  --out-of-band <writes/s>    also write the hot set with plain SQL beside the load, on a connection of the
                              checker's own (bypassing the API: captured by the triggers, published by the
                              reconcilers), at this average rate, e.g. 5 or 0.5 (default: none)
  --out-of-band-window <ms>   an out-of-band write counts as acknowledged this long after its COMMIT: a read
                              started later that returns an older version is stale (default 1000, the promise)
  --api-env <KEY=VALUE>       more environment for the API processes (repeatable), e.g. to take a feature away
                              for a positive control
  --json <file>               also write the report as JSON
  --keep-logs                 keep the redis and API logs even if the run passes
  --live-source               run the APIs from the working tree at each (re)start, not a copy of src/ taken at the start
  --source <dir>              test the code in <dir> (src/ and schema.graphql, e.g. another revision) instead of this project's`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string' },
        clients: { type: 'string' },
        ops: { type: 'string' },
        seed: { type: 'string' },
        'no-faults': { type: 'boolean' },
        faults: { type: 'string' },
        topology: { type: 'string' },
        'fault-interval': { type: 'string' },
        instances: { type: 'string' },
        quiet: { type: 'string' },
        'convergence-timeout': { type: 'string' },
        'out-of-band': { type: 'string' },
        'out-of-band-window': { type: 'string' },
        'api-env': { type: 'string', multiple: true },
        json: { type: 'string' },
        'keep-logs': { type: 'boolean' },
        'live-source': { type: 'boolean' },
        source: { type: 'string' },
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
  const options: ConsistencyOptions = { log: (line) => console.error(`[check] ${line}`) };
  try {
    const set = <K extends keyof ConsistencyOptions>(key: K, value: ConsistencyOptions[K] | undefined) => {
      if (value !== undefined) options[key] = value;
    };
    set('durationSeconds', integer('duration', values.duration, 1));
    set('clients', integer('clients', values.clients, 1));
    set('maxOperations', integer('ops', values.ops, 1));
    set('seed', integer('seed', values.seed, 0));
    set('instances', integer('instances', values.instances, 2));
    set('quietPeriodMs', integer('quiet', values.quiet, 0));
    const timeout = integer('convergence-timeout', values['convergence-timeout'], 0);
    if (timeout !== undefined) options.convergenceTimeoutMs = timeout * 1000;
    set('outOfBandRate', positiveNumber('out-of-band', values['out-of-band']));
    const window = integer('out-of-band-window', values['out-of-band-window'], 0);
    if (window !== undefined && options.outOfBandRate === undefined) throw new Error('--out-of-band-window needs --out-of-band');
    set('outOfBandWindowMs', window);
    for (const pair of values['api-env'] ?? []) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
      if (!match) throw new Error(`--api-env must be KEY=VALUE, got ${JSON.stringify(pair)}`);
      (options.apiEnv ??= {})[match[1]!] = match[2]!;
    }
    if (values['no-faults'] && values.faults) throw new Error('--no-faults and --faults exclude each other');
    if (values.topology !== undefined) {
      if (values.topology !== 'single' && values.topology !== 'sentinel' && values.topology !== 'cluster') {
        throw new Error(`--topology must be single, sentinel or cluster, got ${JSON.stringify(values.topology)}`);
      }
      options.topology = values.topology;
    }
    if (values['no-faults']) options.faults = [];
    if (values.faults) options.faults = parseFaultKinds(values.faults);
    if (values['fault-interval']) {
      const match = /^(\d+)-(\d+)$/.exec(values['fault-interval']);
      if (!match || Number(match[1]) > Number(match[2]))
        throw new Error(`--fault-interval must be <min>-<max> in ms, like 1000-3000, got ${JSON.stringify(values['fault-interval'])}`);
      options.faultIntervalMs = [Number(match[1]), Number(match[2])];
    }
    if (values['keep-logs']) options.keepLogs = true;
    if (values['live-source']) options.liveSource = true;
    if (values.source) options.sourceDir = values.source;
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
      console.error(`\n[check] ${signal}: stopping, killing the processes started and dropping the database (again to force)...`);
      controller.abort();
    } else if (Date.now() - firstSignalAt > 2000) {
      // A second signal within 2 s is the same Ctrl-C relayed by npm/tsx: ignored, so the cleanup can finish.
      killAllChildrenNow();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const report = await runConsistencyCheck(options);
    console.log(formatReport(report));
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      console.error(`[check] report written to ${values.json}`);
    }
    return report.passed ? 0 : 1;
  } catch (error) {
    if (error instanceof AbortedError) {
      console.error('[check] interrupted');
      return 130;
    }
    console.error(`[check] the consistency check could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
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
