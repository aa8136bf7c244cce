/**
 * The report: `README.md` (Markdown tables: goals, reference points,
 * workloads, operations, exact costs, scaling, stale reads), `throughput.svg`,
 * `scaling.svg` and the raw `results.json`, in one directory. Figures are
 * ratios to the no-cache mode (and to the ceiling, and to the bare-Apollo
 * reference point) measured in the same run; absolute numbers are context.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PALETTE, groupedBarChart, logLogPanels, type Series } from './chart.js';
import type { Goal } from './goals.js';
import type { BenchmarkResults } from './index.js';
import type { MeasuredFigures } from './cluster-compare.js';
import type { LoadResult } from './load.js';
import { REQUIRED_COUNTERS, type CounterName, type PerRequest } from './metrics.js';
import { profileSection } from './profile-report.js';
import { OPERATIONS, OPERATION_LABELS, type OperationName, type ProbeName } from './operations.js';
import { BASELINE, MODE_LABELS, type Mode, type ModeResult } from './run-mode.js';
import { REFERENCE_LABELS, REFERENCE_OPERATIONS, type Reference, type ReferenceOperation, type ReferenceResult } from './references.js';
import { assessScaling } from './scaling.js';
import { WORKLOAD_LABELS, readShare, type WorkloadName } from './workloads.js';

export interface WrittenFiles {
  readme: string;
  json: string;
  throughputChart: string;
  scalingChart: string;
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

const NA = 'n/a';
const MISSING = '–';

export const int = (v: number) => Math.round(v).toLocaleString('en-US');
export const ms = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? MISSING : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
export const ratio = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? NA : `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}x`;
/** A per-request count: exact integers as they are, averages with two decimals. */
export const count = (v: number | null | undefined) => (v === null || v === undefined ? MISSING : Number.isInteger(v) ? String(v) : v.toFixed(2));
const percent = (v: number | null | undefined) => (v === null || v === undefined ? MISSING : `${(v * 100).toFixed(1)}%`);
const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((row) => `| ${row.map(escapeCell).join(' | ')} |`).join('\n');
}

function duration(msTotal: number): string {
  const s = Math.round(msTotal / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

const modeOf = (results: BenchmarkResults, mode: Mode): ModeResult | undefined => results.modes.find((m) => m.mode === mode);
/** A reference point of the run (results of runs before the reference points have none). */
const referenceOf = (results: BenchmarkResults, reference: Reference): ReferenceResult | undefined =>
  (results.references ?? []).find((r) => r.reference === reference);
const usable = (m: ModeResult | undefined) => (m && m.error === null ? m : undefined);

/** A cell for a mode that failed, or does not support what the row measures. */
function unavailable(m: ModeResult | undefined): string {
  return !m ? 'not run' : m.error ? 'failed' : NA;
}

function loadRatio(results: BenchmarkResults, get: (m: ModeResult) => LoadResult | undefined | null, mode: Mode, against: Mode): number | null {
  const a = usable(modeOf(results, mode));
  const b = usable(modeOf(results, against));
  const ra = a ? get(a)?.rps : undefined;
  const rb = b ? get(b)?.rps : undefined;
  return ra !== undefined && rb !== undefined && rb > 0 ? ra / rb : null;
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length ? entries.map(([code, n]) => `${code} ${int(n)}`).join(', ') : '';
}

/** CPUs other processes used during a measurement (and how many times it was taken). */
const workloadHasWrites = (workload: WorkloadName) => readShare(workload) < 1;

function cpuCell(r: LoadResult): string {
  return r.cpu ? `${r.cpu.otherCpus.toFixed(2)}${r.attempts > 1 ? ` (best of ${r.attempts})` : ''}` : MISSING;
}

function costCells(p: PerRequest | null | undefined): string[] {
  return [count(p?.dbQueries), count(p?.redisRoundTrips), percent(p?.hitRatio), cpuMs(p)];
}

/** The API process's CPU time per request, and the share of it spent in GC. */
function cpuMs(p: PerRequest | null | undefined): string {
  if (!p || p.apiCpuMs === null || p.apiCpuMs === undefined) return MISSING;
  return `${p.apiCpuMs.toFixed(2)}${p.gcShare != null ? ` (GC ${(p.gcShare * 100).toFixed(0)}%)` : ''}`;
}

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

function header(results: BenchmarkResults): string {
  const m = results.machine;
  const s = results.settings;
  const d = results.dataset;
  const rev = results.revision.commit
    ? `commit \`${results.revision.commit.slice(0, 12)}\`${results.revision.dirty ? ' plus uncommitted changes in src/' : ''}`
    : 'no git revision';
  return [
    `# Benchmark: the write-through API against its alternatives, its ceiling and two reference points`,
    '',
    `Run on **${results.startedAt.slice(0, 10)}** (${results.startedAt.slice(11, 16)} UTC, ${duration(results.durationMs)}) with:`,
    '',
    '```sh',
    results.command,
    '```',
    '',
    `- **Machine:** ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}, ` +
      `all on this one machine with the load generator (1-minute load average ${m.loadAverageAtStart} at the start${m.loadAverageAtEnd != null ? `, ${m.loadAverageAtEnd} at the end` : ''}).`,
    `- **Code:** ${rev}; the API processes ran from a ${s.source}.`,
    `- **Data set:** ${int(d.products)} products, ${int(d.users)} users, ${int(d.carts)} carts with ${int(d.cartItems)} items, bulk-loaded with COPY in ${(d.ms / 1000).toFixed(1)} s ` +
      `(${int(d.rowsPerSecond)} rows/s). The load reads a working set of ${int(d.workingSetProducts)} products and the carts of ${int(d.activeUsers)} users (20 items each); ` +
      `the mutations write a hot subset of ${int(d.hotProducts)} products and ${int(d.hotUsers)} carts, which also get a quarter of the reads.`,
    `- **Load:** autocannon over loopback HTTP, ${s.connections} connections, ${s.durationSeconds} s per measurement, after ${s.warmupSeconds} s of unmeasured warm-up per mode; ` +
      `the same seeded sequence of requests in every mode${s.smoke ? ' (**smoke run**: a tiny data set and short measurements; the numbers say nothing about speed)' : ''}.`,
    '',
    `"Other CPU" is the CPU time (in CPUs) that processes outside the benchmark used during a measurement (from /proc): on this shared machine, a measurement with more than ${s.maxOtherCpus} was taken again, up to ${s.retries} more times, after waiting up to ${s.quietWaitSeconds} s for quiet, and the quietest kept.`,
    '',
    `Figures are **ratios measured in the same run**: to the **no-cache** mode (the baseline: the same API with Prisma and DataLoader, no Redis), to the **ceiling** ` +
      `(the same API whose loaders answer from rows decoded in memory: no store lookup, no JSON decode, no I/O; a ceiling by construction, see "How it was measured"), ` +
      `and, for the product by id and the cart, to two **reference points**: **raw-http** (node:http answering the API's bytes: the machine's limit for this load generator) and **bare-apollo** (Apollo Server with constant resolvers: the framework's limit). ` +
      `Absolute numbers are context only: PostgreSQL, Redis, the API and the load generator share ${m.cpus} CPUs.`,
    '',
    '| Mode | What it is | API heap at the end |',
    '| --- | --- | ---: |',
    ...results.settings.modes.map((mode) => {
      const heap = modeOf(results, mode)?.heapUsedMiB;
      return `| ${mode} | ${MODE_LABELS[mode]} | ${heap == null ? MISSING : `${heap} MiB`} |`;
    }),
    ...(s.references ?? []).map((reference) => `| ${reference} | ${REFERENCE_LABELS[reference]} | ${MISSING} |`),
    '',
    "The ceiling has no store: its loaders look rows up in Maps, so it shows no Redis round trips; its hits are counted as the write-through's are.",
  ].join('\n');
}

function goalsSection(goals: readonly Goal[]): string {
  const icon = (g: Goal) => (g.status === 'met' ? '✅ met' : g.status === 'missed' ? '❌ missed' : '– n/a') + (g.noisy ? ' ⚠' : '');
  const noisy = goals.filter((g) => g.noisy);
  return [
    '## Goals',
    '',
    table(
      ['Goal', 'Target', 'Measured', 'Status', 'Measured on'],
      goals.map((g) => [g.title, g.target, g.measured, icon(g), g.basis]),
      ['l', 'r', 'r', 'l', 'l'],
    ),
    ...(noisy.length
      ? [
          '',
          '⚠ Not to be trusted: ' +
            noisy.map((g) => `${g.id} (${g.noisy})`).join('; ') +
            '. Other work on the machine took CPU from these measurements even after retries.',
        ]
      : []),
  ].join('\n');
}

function referencesSection(results: BenchmarkResults): string {
  const refs = results.settings.references ?? [];
  if (refs.length === 0) return '';
  const measured = (results.references ?? []).find((r) => r.error === null);
  const bytes = (op: ReferenceOperation) => {
    const n = measured?.answerBytes[op];
    return n === undefined ? '' : ` (${int(n)} bytes)`;
  };
  const from = measured?.answersFrom ? `, captured from the **${measured.answersFrom}** mode's API when it started` : '';
  const parts = [
    "## Reference points: the machine's and the framework's limits",
    '',
    `The same load generator, connections, durations and seeded requests as the modes, against two servers that do far less than the API, for the two reads they answer: one product by id${bytes('product')} and a cart of 20 items with their products${bytes('cart')}, answered with the API's own answers${from} ` +
      '(a product and a cart that no mutation of the run writes, so every mode answers them with the same bytes). Each is its own process (`scripts/bench/reference-server.ts`), like the modes.',
    '',
    "- **raw-http**: `node:http` answering those exact bytes (the body, and the API's headers), reading the request and parsing nothing: the most this machine serves to this load generator.",
    "- **bare-apollo**: Apollo Server 5 on Fastify 5 through `@as-integrations/fastify` (the API's integration), `NODE_ENV=production`, the API's `schema.graphql`, resolvers that return the captured data as constants, no plugin (Apollo's default cache-control plugin disabled, as in the API): the most the framework serves these queries.",
    '',
    "From bare-apollo to the ceiling is what this API's own stack adds (its security plugins and limits, metrics and access log, the token check, resolvers and DataLoaders); from the ceiling to write-through, the cache read (a Redis round trip and the JSON decode). " +
      '"× bare-apollo" is req/s ÷ bare-apollo\'s (higher is better); "CPU × bare-apollo" is the server process\'s CPU time per request ÷ bare-apollo\'s (lower is better), the figure least disturbed by other work on the machine. ' +
      'Before measuring, each reference point\'s answers were compared with the API\'s byte for byte ("Same bytes").',
  ];
  const cpu = (r: LoadResult | undefined) => r?.perRequest?.apiCpuMs ?? null;
  for (const op of REFERENCE_OPERATIONS) {
    const bare = usableReference(results, 'bare-apollo');
    const raw = usableReference(results, 'raw-http');
    const base = bare?.operations[op];
    const rows: string[][] = [];
    const row = (name: string, r: LoadResult | undefined, same: string) => {
      const rps = (x: LoadResult | undefined) => (x && r && x.rps > 0 ? r.rps / x.rps : null);
      const baseCpu = cpu(base);
      rows.push(
        r
          ? [
              name,
              int(r.rps),
              ratio(rps(base)),
              ratio(rps(raw?.operations[op])),
              ms(r.latencyMs.p50),
              ms(r.latencyMs.p99),
              cpuMs(r.perRequest),
              ratio(cpu(r) !== null && baseCpu ? cpu(r)! / baseCpu : null),
              same,
              cpuCell(r),
            ]
          : [name, same || NA, '', '', '', '', '', '', '', ''],
      );
    };
    for (const reference of refs) {
      const r = referenceOf(results, reference);
      if (!r || r.error) row(reference, undefined, r ? 'failed' : 'not run');
      else row(reference, r.operations[op], r.sameBytes[op] ? 'yes' : 'NO');
    }
    for (const mode of results.settings.modes) {
      const m = modeOf(results, mode);
      const u = usable(m);
      row(mode, u?.operations[op], u?.operations[op] ? '' : u && !u.supported[op] ? NA : unavailable(m));
    }
    parts.push('', `### ${OPERATION_LABELS[op]}`, '');
    parts.push(
      table(['Server', 'req/s', '× bare-apollo', '× raw-http', 'p50 ms', 'p99 ms', 'CPU ms/req', 'CPU × bare-apollo', 'Same bytes', 'Other CPU'], rows),
    );
  }
  const goals = results.goals.filter((g) => g.id.endsWith('-vs-bare-apollo'));
  if (goals.length) {
    parts.push(
      '',
      `Write-through ÷ bare-apollo (where the rest of the time goes: docs/benchmarks/read-path.md): ${goals.map((g) => `${g.title.split(':')[0]!.toLowerCase()} **${g.measured}** (${g.target}: ${g.status}${g.noisy ? ', noisy' : ''})`).join('; ')}.`,
    );
  }
  return parts.join('\n');
}

const usableReference = (results: BenchmarkResults, reference: Reference) => {
  const r = referenceOf(results, reference);
  return r && r.error === null ? r : undefined;
};

/** Per node, in one cell: `node: value`, joined. */
function perNode<T>(nodes: readonly T[], name: (n: T) => string, value: (n: T) => string): string {
  return nodes.length ? nodes.map((n) => `${name(n)}: ${value(n)}`).join('; ') : MISSING;
}

function clusterSection(results: BenchmarkResults): string {
  const c = results.cluster;
  if (!c) return '';
  const clusterMode = modeOf(results, 'write-through-cluster');
  const redis = clusterMode?.redis?.kind === 'cluster' ? clusterMode.redis : null;
  const parts = [
    '## Redis Cluster against one Redis (write-through)',
    '',
    'The same write-through API measured twice in this run, with the same data, requests, connections and durations: on the local Redis (mode `write-through`) and on a Redis Cluster (mode `write-through-cluster`, `REDIS_CLUSTER_NODES`) ' +
      (redis
        ? `of ${redis.masters.length} masters (${redis.masters.join(', ')}) and ${redis.replicas.length} replicas (${redis.replicas.join(', ')}), Redis ${redis.version}, started by the benchmark on this machine for that mode (whole in ${(redis.startupMs / 1000).toFixed(1)} s) and removed after it. `
        : 'that the benchmark starts for that mode (3 masters, 3 replicas) and removes after it. ') +
      'The cache store reads a batch with one pipeline per node (one MGET per hash slot in it), and writes, leases and releases with one pipeline of scripts per node. ' +
      'Ratios are **cluster ÷ single**: above 1, the cluster answered more requests per second; for latencies, above 1 the cluster was slower. ' +
      "Every node shares the machine's CPUs with the API, PostgreSQL and the load generator, so this compares the client's cost of a cluster (more connections and pipelines per batch, replication to replicas), not a cluster spread over machines. " +
      '"API CPU ms/req" is the API process\'s own CPU time per request: the figure least disturbed by other work on the machine ("Other CPU": CPUs other processes used during each measurement).',
    '',
  ];
  const fig = (f: MeasuredFigures | null, key: 'rps' | 'p50' | 'p99' | 'cpuMs') => (f ? (key === 'rps' ? int(f.rps) : ms(f[key])) : MISSING);
  const other = (f: MeasuredFigures | null) => (f?.otherCpus != null ? f.otherCpus.toFixed(2) : MISSING);
  const rows = c.rows.map((r) => [
    r.kind === 'operation' ? `${r.label} (alone)` : `${r.label} (mix)`,
    fig(r.single, 'rps'),
    fig(r.cluster, 'rps'),
    ratio(r.rpsRatio),
    fig(r.single, 'p50'),
    fig(r.cluster, 'p50'),
    ratio(r.p50Ratio),
    fig(r.single, 'p99'),
    fig(r.cluster, 'p99'),
    ratio(r.p99Ratio),
    fig(r.single, 'cpuMs'),
    fig(r.cluster, 'cpuMs'),
    ratio(r.cpuRatio),
    `${other(r.single)} / ${other(r.cluster)}`,
  ]);
  for (const [label, sum] of [
    ['reads', c.reads],
    ['writes', c.writes],
  ] as const) {
    if (sum.rps !== null)
      rows.push([
        `**${label}** (geometric mean over ${sum.of.join(', ')})`,
        '',
        '',
        ratio(sum.rps),
        '',
        '',
        ratio(sum.p50),
        '',
        '',
        ratio(sum.p99),
        '',
        '',
        ratio(sum.cpu),
        '',
      ]);
  }
  parts.push(
    rows.length
      ? table(
          [
            'Measurement',
            'single req/s',
            'cluster req/s',
            '× req/s',
            'single p50 ms',
            'cluster p50 ms',
            '× p50',
            'single p99 ms',
            'cluster p99 ms',
            '× p99',
            'single API CPU ms/req',
            'cluster API CPU ms/req',
            '× CPU',
            'Other CPU single / cluster',
          ],
          rows,
        )
      : 'No measurement under load in both modes.',
  );

  parts.push(
    '',
    '### The cart of 20 items, node by node',
    '',
    "For a few users, warm, one request at a time between two reads of `/metrics`: the cart with its 20 products, and the same user's cart alone (median of 5 each). " +
      'Per node, the difference of `storefront_cache_round_trips_total{node,kind="read"}` is what one request costs there; cart minus cart alone is what its products cost. ' +
      "Which node holds each product key is computed apart from the API, from the key names (the namespace, the cache epoch from `storefront_cache_epoch`, `Product:<id>`), their hash slots (`cluster-key-slot`) and the cluster's `CLUSTER SLOTS`; " +
      '"found" is how many of them that node itself said it holds (`EXISTS`). The goal: **at most one read round trip per node touched** for the products, none to the others. On one Redis every key is on the one node (`redis`).',
    '',
  );
  const tripRows: string[][] = [];
  for (const [mode, trips] of [
    ['write-through', c.cartTrips.single],
    ['write-through-cluster', c.cartTrips.cluster],
  ] as const) {
    if (!trips) {
      tripRows.push([mode, unavailable(modeOf(results, mode)), '', '', '', '', '']);
      continue;
    }
    if (trips.users.length === 0) tripRows.push([mode, `not measured: ${trips.error ?? 'no user'}`, '', '', '', '', '']);
    for (const u of trips.users) {
      const touched = u.nodes.filter((n) => n.productKeys > 0);
      tripRows.push([
        mode,
        `${int(u.userId)} (epoch ${trips.epoch ?? MISSING})`,
        perNode(
          touched,
          (n) => n.node,
          (n) => `${n.productKeys} keys${trips.topology === 'cluster' ? ` in ${n.slots} slot(s)` : ''}, found ${n.found ?? MISSING}`,
        ),
        perNode(
          u.nodes,
          (n) => n.node,
          (n) => count(n.productReads),
        ),
        `${u.nodesTouched} node(s), ${count(u.productReadRoundTrips)} round trip(s): at most ${count(u.maxPerNodeTouched)} per node touched${u.untouchedNodeRoundTrips ? `, ${count(u.untouchedNodeRoundTrips)} elsewhere` : ''}`,
        perNode(
          u.nodes,
          (n) => n.node,
          (n) => count(n.cartReads),
        ),
        perNode(
          u.nodes,
          (n) => n.node,
          (n) => count(n.cartOnlyReads),
        ),
      ]);
    }
    if (trips.error && trips.users.length) tripRows.push([mode, `not verified: ${trips.error}`, '', '', '', '', '']);
  }
  parts.push(
    table(
      [
        'Mode',
        'User (cache epoch)',
        'Its product keys, per node',
        'Read round trips for the products, per node',
        'Products: nodes touched, round trips',
        'Whole cart request, per node',
        'Cart alone, per node',
      ],
      tripRows,
      ['l', 'l', 'l', 'l', 'l', 'l', 'l'],
    ),
  );
  const verdict = c.cartTrips.cluster;
  if (verdict && verdict.met !== null) {
    parts.push(
      '',
      verdict.met
        ? `On the cluster, the products of every cart read cost at most ${count(verdict.maxPerNodeTouched)} read round trip per node they touch, and none elsewhere: **met**.`
        : `On the cluster, a cart read cost up to ${count(verdict.maxPerNodeTouched)} read round trips on one node for its products${verdict.untouchedNodeRoundTrips ? ` and ${count(verdict.untouchedNodeRoundTrips)} to nodes holding none of them` : ''}: **missed** (at most 1 per node touched).`,
    );
  }
  return parts.join('\n');
}

function workloadsSection(results: BenchmarkResults): string {
  const parts = [
    '## Workloads',
    '',
    'Each mix is a shuffled deck of 120 steps dealt round-robin to every connection: reads split evenly between one product by id, a cart of 20 items with its products and a page of 50 products; writes between `addToCart` (one more unit of a product already in a hot cart) and `updateProduct` (a new price for a hot product). ' +
      "Costs per request are the differences of the API's counters (`/metrics`) over the measurement, divided by the GraphQL requests it answered. " +
      "A stale read is a version older than one already acknowledged to a client before the read was sent (the consistency checker's observer, see below). " +
      '"API CPU ms/req" is the API process\'s own CPU time per request (prom-client\'s process metrics), with the share of it spent collecting garbage: the cost least disturbed by whatever else runs on the machine.',
  ];
  for (const workload of results.settings.workloads) {
    const rows = results.settings.modes.map((mode) => {
      const m = modeOf(results, mode);
      const u = usable(m);
      const w = u?.workloads[workload as WorkloadName];
      const r = w?.load;
      if (!r) return [mode, w && !w.supported ? `${NA} (no ${w.unsupported.join(', ')})` : unavailable(m), '', '', '', '', '', '', '', '', '', '', ''];
      return [
        mode,
        int(r.rps),
        ratio(loadRatio(results, (x) => x.workloads[workload]?.load, mode, BASELINE)),
        ratio(loadRatio(results, (x) => x.workloads[workload]?.load, mode, 'ceiling')),
        ms(r.latencyMs.p50),
        ms(r.latencyMs.p99),
        ...costCells(r.perRequest),
        u!.countedVersions.length === 0 && workloadHasWrites(workload) ? `${NA}: writes keep no version` : `${int(r.staleReads)} / ${int(r.versionsChecked)}`,
        errorsText(r.errors),
        cpuCell(r),
      ];
    });
    parts.push('', `### ${WORKLOAD_LABELS[workload]}`, '');
    parts.push(
      table(
        [
          'Mode',
          'req/s',
          '× no-cache',
          '× ceiling',
          'p50 ms',
          'p99 ms',
          'DB queries/req',
          'Redis round trips/req',
          'Hit ratio',
          'API CPU ms/req',
          'Stale reads / versions read',
          'Errors',
          'Other CPU',
        ],
        rows,
      ),
    );
  }
  return parts.join('\n');
}

function operationsSection(results: BenchmarkResults): string {
  const parts = [
    '## Operations',
    '',
    (results.settings.operationRuns
      ? 'Each operation alone under the same load (req/s, latency, averaged costs), and its **exact** costs: the median over 11 single requests, warm, each between two reads of the counters. '
      : 'Exact costs only (the smoke run does not measure each operation alone under load): the median over 11 single requests, warm, each between two reads of the counters. ') +
      'Redis round trips are shown as reads + writes.',
  ];
  const probesOf = (m: ModeResult | undefined, op: ProbeName) => usable(m)?.probes[op]?.counts;
  for (const op of [...OPERATIONS, 'cartOnly'] as ProbeName[]) {
    const rows = results.settings.modes.map((mode) => {
      const m = modeOf(results, mode);
      const u = usable(m);
      if (!u || !u.supported[op]) return [mode, unavailable(m), '', '', '', '', '', '', '', '', ''];
      const r = op === 'cartOnly' ? undefined : u.operations[op as OperationName];
      const exact = probesOf(m, op);
      return [
        mode,
        r ? int(r.rps) : MISSING,
        r ? ratio(loadRatio(results, (x) => x.operations[op as OperationName], mode, BASELINE)) : MISSING,
        r ? ratio(loadRatio(results, (x) => x.operations[op as OperationName], mode, 'ceiling')) : MISSING,
        r ? ms(r.latencyMs.p50) : MISSING,
        r ? ms(r.latencyMs.p99) : MISSING,
        count(exact?.dbQueries),
        exact ? `${count(exact.cacheReadRoundTrips)} + ${count(exact.cacheWriteRoundTrips)}` : MISSING,
        r
          ? `${count(r.perRequest?.dbQueries)} / ${count(r.perRequest?.redisRoundTrips)}${Object.keys(r.errors).length ? `; errors: ${errorsText(r.errors)}` : ''}`
          : MISSING,
        r ? cpuMs(r.perRequest) : MISSING,
        r ? cpuCell(r) : MISSING,
      ];
    });
    parts.push('', `### ${OPERATION_LABELS[op]}`, '');
    parts.push(
      table(
        [
          'Mode',
          'req/s',
          '× no-cache',
          '× ceiling',
          'p50 ms',
          'p99 ms',
          'DB queries (exact)',
          'Redis round trips (exact)',
          'Under load: DB queries / Redis round trips per req',
          'API CPU ms/req',
          'Other CPU',
        ],
        rows,
      ),
    );
  }
  return parts.join('\n');
}

function scalingSection(results: BenchmarkResults): string {
  const sizes = results.dataset.scalingSizes;
  const parts = [
    '## Scaling: cost against the size of the nested list',
    '',
    `The cart of a user whose cart holds ${sizes.map(int).join(', ')} items, read with its products (the cart operation), warm, one request at a time: exact counts (median of 5) and p50 latency. ` +
      'Round trips must stay flat and time grow at most linearly; "growth" is the worst (t2/t1)/(n2/n1) between consecutive sizes (1 is linear, below 1 is better than linear).',
    '',
    '![Cost against the number of items in the cart](scaling.svg)',
    '',
  ];
  const header = ['Mode', ...sizes.map((s) => `${int(s)} items: DB q / Redis rt / p50 ms`), 'Round trips flat', 'Growth'];
  const rows = results.settings.modes.map((mode) => {
    const m = modeOf(results, mode);
    const u = usable(m);
    if (!u || u.scaling.length === 0) return [mode, ...sizes.map(() => unavailable(m)), '', ''];
    const a = assessScaling(u.scaling);
    return [
      mode,
      ...sizes.map((size) => {
        const p = u.scaling.find((x) => x.size === size);
        return p && p.supported ? `${count(p.counts?.dbQueries)} / ${count(p.counts?.redisRoundTrips)} / ${ms(p.latencyMs?.p50)}` : NA;
      }),
      a.roundTripsFlat === null ? MISSING : a.roundTripsFlat ? 'yes' : 'no',
      a.worstGrowth === null ? MISSING : a.worstGrowth.toFixed(2),
    ];
  });
  parts.push(table(header, rows));
  return parts.join('\n');
}

function staleSection(results: BenchmarkResults): string {
  const rows = results.settings.modes.map((mode) => {
    const m = usable(modeOf(results, mode));
    if (!m) return [mode, unavailable(modeOf(results, mode)), '', '', '', '', '', ''];
    const kinds = Object.entries(m.staleReads.byKind)
      .map(([k, n]) => `${k} ${int(n)}`)
      .join(', ');
    return [
      mode,
      int(m.staleReads.total),
      int(m.staleReads.checked),
      int(m.staleReads.episodes),
      m.staleReads.total ? `${int(m.staleReads.maxStalenessMs)} ms` : MISSING,
      kinds,
      int(m.staleMutationAnswers ?? 0),
      m.countedVersions?.length ? m.countedVersions.join(', ') : 'none: writes do not move versions',
    ];
  });
  const parts = [
    '## Stale reads, all measurements of each mode',
    '',
    "A read is stale when it returns a version of an entity older than one acknowledged to a client before the read was sent: the consistency checker's rule, with one addition. " +
      'Acknowledged writes are also counted: each adds at least one version, so after n acknowledged writes to an entity that had version v0 when the mode started, every later read must show at least v0 + n. ' +
      "That catches a writer whose own answer is already stale (in cache-aside, a read-fill that read the row before another writer's COMMIT can land after that writer's DELETE; that writer's answer, read back through the cache, then shows the older version, and so does every read until the next write). " +
      'Modes whose writes do not move `version` (no write-through extension) cannot be checked this way; they read PostgreSQL directly.',
    '',
    table(
      [
        'Mode',
        'Stale reads',
        'Versions read',
        'Episodes',
        'Longest after the acknowledgement',
        'By operation',
        'Mutation answers below the count',
        'Writes counted for',
      ],
      rows,
    ),
  ];
  for (const mode of results.settings.modes) {
    const m = usable(modeOf(results, mode));
    const e = m?.staleReads.examples[0];
    if (e) {
      parts.push(
        '',
        `An example in ${mode}: a \`${e.kind}\` read sent ${int(e.readStartedAt - e.acknowledgedAt)} ms after \`${e.acknowledgingMutation}\` had been acknowledged (making version ${e.versionAcknowledged} of ${e.entity} the lowest possible) returned version ${e.versionRead}.`,
      );
    }
  }
  return parts.join('\n');
}

const COUNTER_WORDS: Record<CounterName, string> = {
  dbQueries: 'database query(ies)',
  cacheReadRoundTrips: 'cache read round trip(s)',
  cacheWriteRoundTrips: 'cache write round trip(s)',
  cacheHits: 'cache hit(s)',
  cacheMisses: 'cache miss(es)',
  graphqlRequests: 'GraphQL request(s)',
  apiCpuSeconds: 'CPU seconds',
  gcSeconds: 'GC seconds',
};

function problemsSection(results: BenchmarkResults): string {
  const lines: string[] = [];
  for (const m of results.modes) {
    if (m.error) lines.push(`- **${m.mode}** could not be measured: ${m.error}`);
    const overhead = REQUIRED_COUNTERS.filter((k) => m.scrapeOverhead?.[k]).map((k) => [k, m.scrapeOverhead![k]] as const);
    if (overhead.length && !m.error) {
      lines.push(
        `- **${m.mode}**: one read of \`/metrics\` itself costs ${overhead.map(([k, v]) => `${v} ${COUNTER_WORDS[k as CounterName]}`).join(', ')} (a gauge that queries PostgreSQL at scrape time: \`storefront_outbox_backlog_rows\`); measured with no request in between and subtracted from every count.`,
      );
    }
    if (m.missingCounters.length && !m.error)
      lines.push(`- **${m.mode}**: \`/metrics\` lacks ${m.missingCounters.map((c) => `\`${c}\``).join(', ')} (shown as ${MISSING}).`);
    const logs = Object.entries(m.apiLogErrors);
    if (logs.length) lines.push(`- **${m.mode}**: the API logged ${logs.map(([msg, n]) => `${int(n)} × "${msg}"`).join(', ')}.`);
  }
  for (const r of results.references ?? []) {
    if (r.error) lines.push(`- **${r.reference}** (reference point) could not be measured: ${r.error}`);
    const differs = REFERENCE_OPERATIONS.filter((op) => r.sameBytes[op] === false);
    if (differs.length)
      lines.push(
        `- **${r.reference}** (reference point) did not answer the API's bytes for ${differs.join(', ')}: its figures for them are no reference (the goals against it are n/a).`,
      );
  }
  // A limit that a mode beats: run-to-run noise, since each does a subset of the modes' work by construction. Said, with the CPU per request.
  const cpu = (r: LoadResult | undefined) => (r?.perRequest?.apiCpuMs != null ? `${r.perRequest.apiCpuMs.toFixed(2)} ms` : MISSING);
  const ceiling = usable(modeOf(results, 'ceiling'));
  const limits = [
    { name: 'the ceiling', self: 'ceiling', of: (op: OperationName) => ceiling?.operations[op] },
    ...(['bare-apollo', 'raw-http'] as const).map((reference) => ({
      name: `the ${reference} reference point`,
      self: reference as string,
      of: (op: OperationName) => {
        const r = usableReference(results, reference);
        return (REFERENCE_OPERATIONS as readonly string[]).includes(op) && r?.sameBytes[op as ReferenceOperation]
          ? r.operations[op as ReferenceOperation]
          : undefined;
      },
    })),
  ];
  for (const limit of limits) {
    for (const op of OPERATIONS) {
      const top = limit.of(op);
      if (!top) continue;
      const faster = results.modes.filter((m) => m.mode !== limit.self && !m.error && (m.operations[op]?.rps ?? 0) > top.rps * 1.05);
      if (faster.length === 0) continue;
      lines.push(
        `- **${OPERATION_LABELS[op]}**: ${faster.map((m) => `${m.mode} (${int(m.operations[op]!.rps)} req/s, CPU ${cpu(m.operations[op])} per request)`).join(', ')} answered more requests per second than ${limit.name} ` +
          `(${int(top.rps)} req/s, CPU ${cpu(top)} per request), which does a subset of their work per request by construction: run-to-run noise on this shared machine (see "Other CPU"); the CPU per request is the figure to compare.`,
      );
    }
  }
  return lines.length ? ['## Notes and problems seen during the run', '', ...lines].join('\n') : '';
}

function methodSection(): string {
  return [
    '## How it was measured',
    '',
    '- `npm run bench` (scripts/bench.ts, library in scripts/bench/) creates its own database `bench_<random>`, migrates it, bulk-loads it with `COPY FROM STDIN`, and drops it at the end (`--keep` keeps it).',
    "- Before each mode the tables are vacuumed and analyzed and a checkpoint is taken, so no mode inherits the previous one's dead rows or dirty pages.",
    '- Each mode is its own API process (`node --import tsx scripts/bench/server.ts`, `BENCH_VARIANT=<mode>`: the same server with the variant of scripts/bench/variants.ts in place of the cache, `NODE_ENV=production`, as deployed, `LOG_LEVEL=warn`) with a fresh Redis namespace on the local Redis, started after the previous one stopped.',
    "- The `write-through-cluster` mode is the write-through API (`BENCH_VARIANT=write-through`) with `REDIS_URL=''` and `REDIS_CLUSTER_NODES` naming a Redis Cluster of 3 masters and 3 replicas that the benchmark starts for it on free loopback ports (`redis-server --cluster-enabled yes`, `redis-cli --cluster create --cluster-replicas 1`, scripts/bench/cluster.ts), waits until whole (every slot served, every replica linked), and kills and removes after it. Its round trips per node come from `storefront_cache_round_trips_total{node,kind}` (scripts/bench/node-trips.ts).",
    '- Per mode, in this order: the operations it supports are found (a mode answers `NOT_SUPPORTED_IN_MODE` for the others: **n/a** cells); every page of the working set and every active cart is read once (the cache warm, as in steady state); the balanced mix runs unmeasured for the warm-up; the exact costs are taken; each operation runs alone under load, then each workload; then the scaling carts.',
    "- Stale reads: every (id, version) in every answer is checked against the versions acknowledged to any client before the request was sent, with the consistency checker's observer (`scripts/consistency/observer.ts`). Times err on the side of not counting a read as stale.",
    "- **Reference points** (`raw-http`, `bare-apollo`; scripts/bench/references.ts, scripts/bench/reference-server.ts): started right after the first mode whose API answered. That API, as soon as it was ready, was sent the product-by-id and cart queries once (a working-set product and an active user's cart that no mutation writes); its answers, bodies and headers, are what both reference points serve. Each is its own process (`node --import tsx scripts/bench/reference-server.ts`, `NODE_ENV=production`), warmed up and measured like the modes (the same connections, durations, seeded requests, retries and quiet waits), for those two reads only (the other operations are n/a). Their `/metrics` gives the process's CPU time and the requests answered, for the CPU per request.",
    "- **The ceiling is a ceiling by construction.** It is the API itself (`BENCH_VARIANT=ceiling`: the same server, plugins, schema, context with its token check, resolvers, and a DataLoader per entity and request with the same batch size), whose loaders answer from Maps of rows read and decoded once at start, exactly as the write-through's loader decodes a hit (through the entry's JSON), and frozen: no store lookup, no JSON decode, no I/O, no background work. Per read it does a subset of the write-through's work, so write-through can only beat it by noise (flagged under \"Notes\" when it does). It holds only what the load reads (the working set's products, the signed-in users, their carts and those carts' products), so its heap, and the garbage collector's work, stay small. " +
      "The earlier ceiling (every row in an in-process cache store: a Map lookup with LRU bookkeeping, then the JSON decode, on a heap of every row) had the write-through's decode cost and more, on the one core the API runs on, while the write-through's lookup runs partly in Redis: write-through beat it in one run and lost to it in another. " +
      "It was kept, not dropped for bare-apollo, because the two bound different things: bare-apollo is the framework's limit (no plugin, no auth, no loaders), the ceiling is this API's limit with a free cache, so write-through ÷ ceiling is the cost of the cache read alone and ceiling ÷ bare-apollo the cost of the API's own stack.",
    '- The raw numbers, with latency percentiles per operation inside each mix and error counts, are in [results.json](results.json).',
  ].join('\n');
}

/** The report's README.md: every section, in order, as Markdown (ends with a newline). */
export function formatMarkdown(results: BenchmarkResults): string {
  return (
    [
      header(results),
      '![Throughput as a ratio to the no-cache mode](throughput.svg)',
      goalsSection(results.goals),
      referencesSection(results),
      clusterSection(results),
      workloadsSection(results),
      operationsSection(results),
      scalingSection(results),
      staleSection(results),
      profileSection(results.modes).join('\n'),
      problemsSection(results),
      methodSection(),
    ]
      .filter(Boolean)
      .join('\n\n') + '\n'
  );
}

// ---------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------

function modeSeries(results: BenchmarkResults): Series[] {
  return results.settings.modes.map((mode, i) => ({ name: mode, color: PALETTE[i % PALETTE.length]! }));
}

/** throughput.svg: each mode's req/s as a ratio to the no-cache mode, per mix and per operation alone (an SVG document). */
export function throughputChart(results: BenchmarkResults): string {
  const series = modeSeries(results);
  const groups = [
    ...results.settings.workloads.map((w) => ({ label: `${w}\n(mix)`, get: (m: ModeResult) => m.workloads[w]?.load })),
    ...(results.settings.operationRuns
      ? OPERATIONS.filter((op) => results.settings.operations.includes(op)).map((op) => ({
          label: {
            product: 'product\nby id',
            cart: 'cart of 20\n+ products',
            page: 'page of\n50 products',
            addToCart: 'addToCart',
            updateProduct: 'updateProduct',
          }[op],
          get: (m: ModeResult) => m.operations[op],
        }))
      : []),
  ];
  return groupedBarChart({
    title: 'Throughput relative to the no-cache mode (same run)',
    subtitle: `${results.startedAt.slice(0, 10)} · ${results.machine.cpus} CPUs · ${results.settings.connections} connections · ${results.settings.durationSeconds} s per measurement${results.settings.smoke ? ' · SMOKE RUN' : ''}`,
    series,
    groups: groups.map((g) => ({ label: g.label, values: results.settings.modes.map((mode) => loadRatio(results, g.get, mode, BASELINE)) })),
    yLabel: 'requests per second ÷ no-cache',
    reference: { value: 1, label: 'no-cache = 1 (the baseline)' },
  });
}

/** scaling.svg: p50 latency and round trips of the cart read against its size, log-log, per mode (an SVG document). */
export function scalingChart(results: BenchmarkResults): string {
  const series = modeSeries(results);
  const points = (value: (p: ModeResult['scaling'][number]) => number | null | undefined) =>
    results.settings.modes.map((mode) => {
      const m = usable(modeOf(results, mode));
      if (!m) return null;
      return m.scaling.flatMap((p) => {
        const v = p.supported ? value(p) : null;
        return v === null || v === undefined ? [] : [[p.size, v] as [number, number]];
      });
    });
  const latency = points((p) => p.latencyMs?.p50);
  // The linear reference starts at the write-through's (or the first mode's) smallest cart.
  const first = latency.find((pts) => pts && pts.length > 0)?.[0];
  const linearFrom = first ? ([first[0], first[1]] as [number, number]) : undefined;
  return logLogPanels({
    title: 'Cost of a cart read against the number of items in the cart',
    subtitle: `single requests, warm · ${results.startedAt.slice(0, 10)}${results.settings.smoke ? ' · SMOKE RUN' : ''}`,
    series,
    xLabel: 'items in the cart',
    panels: [
      { title: 'p50 latency (ms)', yLabel: 'ms', points: latency, ...(linearFrom && { linearFrom }) },
      {
        title: 'DB queries + Redis round trips per request',
        yLabel: 'round trips',
        points: points((p) => (p.counts ? (p.counts.dbQueries ?? 0) + (p.counts.redisRoundTrips ?? 0) : null)),
      },
    ],
  });
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/** Writes README.md, results.json, throughput.svg and scaling.svg into `outDir` (created if missing); returns their paths. Throws on a file system error. */
export function writeReport(results: BenchmarkResults, outDir: string): WrittenFiles {
  mkdirSync(outDir, { recursive: true });
  const files: WrittenFiles = {
    readme: path.join(outDir, 'README.md'),
    json: path.join(outDir, 'results.json'),
    throughputChart: path.join(outDir, 'throughput.svg'),
    scalingChart: path.join(outDir, 'scaling.svg'),
  };
  // The JSON names its sibling files by name only: the report is committed, and a machine's paths mean nothing elsewhere.
  const siblings = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, path.basename(file)]));
  writeFileSync(files.json, JSON.stringify({ ...results, files: siblings }, null, 2) + '\n');
  writeFileSync(files.throughputChart, throughputChart(results));
  writeFileSync(files.scalingChart, scalingChart(results));
  writeFileSync(files.readme, formatMarkdown(results));
  return files;
}

/** The goals as plain text, for the console. */
export function formatGoals(goals: readonly Goal[]): string {
  const width = Math.max(...goals.map((g) => g.title.length));
  return goals
    .map(
      (g) =>
        `  ${g.status === 'met' ? 'met   ' : g.status === 'missed' ? 'MISSED' : 'n/a   '} ${g.title.padEnd(width)}  ${g.target.padEnd(10)} ${g.measured}${g.noisy ? `  (noisy: ${g.noisy})` : ''}`,
    )
    .join('\n');
}

const BEGIN = '<!-- benchmark:begin -->';
const END = '<!-- benchmark:end -->';

/**
 * Rewrites the block between the benchmark markers of the project's README:
 * a link to the report with the run's date, machine and command.
 * Returns false when the README has no markers.
 */
export function updateProjectReadme(readmePath: string, results: BenchmarkResults, reportPath: string): boolean {
  const text = readFileSync(readmePath, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) return false;
  const m = results.machine;
  const met = results.goals.filter((g) => g.status === 'met').length;
  const missed = results.goals.filter((g) => g.status === 'missed');
  const block = [
    BEGIN,
    `Latest run: **${results.startedAt.slice(0, 10)}**, on ${m.cpus} CPUs (${m.cpuModel}) and ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}, with`,
    `\`${results.command}\`: [${reportPath}](${reportPath}) (tables, [chart](${path.posix.join(path.posix.dirname(reportPath), 'throughput.svg')}), raw JSON). ` +
      `Goals: ${met} met${missed.length ? `, ${missed.length} missed (${missed.map((g) => g.id).join(', ')})` : ''}.`,
    END,
  ].join('\n');
  writeFileSync(readmePath, text.slice(0, begin) + block + text.slice(end + END.length));
  return true;
}
