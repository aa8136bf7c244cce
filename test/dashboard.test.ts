/**
 * The checked-in monitoring (deploy/) and docker-compose.yml stay true to the code:
 *
 * - every metric the Grafana dashboard queries exists in a real API's /metrics
 *   (redis_exporter's `redis_*` metrics: in a documented allow-list), with the
 *   labels the queries select and group by;
 * - docker-compose.yml parses, has its profiles, keeps persistence off in every
 *   Redis, and gives the API only variables that src/config.ts reads (or that
 *   are pending, listed below); Prometheus scrapes every API and every Redis of it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startTestApi, type TestApi } from './support/api.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');
const yaml = (file: string) => parseYaml(read(file), { merge: true, maxAliasCount: -1 });

const DASHBOARD = 'deploy/grafana/dashboards/storefront.json';

/**
 * Metrics of oliver006/redis_exporter the dashboard may use (namespace `redis`). Checked by hand
 * against the exporter's source (exporter/exporter.go: metricMapGauges, metricMapCounters and
 * metricDescriptions; info.go for CLUSTER INFO fields) and against a running exporter (1.45)
 * scraping Redis 7.0 as one node, as a cluster node and as a Sentinel. No exporter runs in
 * the tests: add a name here only after finding it in the exporter's output.
 */
const REDIS_EXPORTER_METRICS = new Set([
  'redis_up', // the exporter reached the instance
  'redis_memory_used_bytes', // INFO used_memory
  'redis_memory_max_bytes', // INFO maxmemory
  'redis_cpu_sys_seconds_total', // INFO used_cpu_sys
  'redis_cpu_user_seconds_total', // INFO used_cpu_user
  'redis_evicted_keys_total', // INFO evicted_keys
  'redis_expired_keys_total', // INFO expired_keys
  'redis_commands_processed_total', // INFO total_commands_processed
  'redis_connected_clients', // INFO connected_clients
  'redis_connected_slaves', // INFO connected_slaves
  'redis_db_keys', // INFO keyspace, by db
  'redis_db_keys_expiring', // INFO keyspace, by db
  'redis_cluster_state', // CLUSTER INFO cluster_state (1 = ok), cluster nodes only
  'redis_sentinel_master_ok_sentinels', // SENTINEL MASTERS, Sentinel instances only
]);

/** Series Prometheus itself writes for every target. */
const PROMETHEUS_SERIES = new Set(['up']);
/** Labels Prometheus adds to every series of a target (deploy/prometheus/prometheus.yml). */
const TARGET_LABELS = new Set(['job', 'instance', 'deployment']);

/**
 * Variables the compose file gives the API that src/config.ts does not read yet: another change
 * is adding them (Redis Cluster, Sentinel, authentication, TLS). Drop a name once config.ts reads it.
 */
const PENDING_VARIABLES = new Set(['REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_PASSWORD', 'REDIS_TLS']);
/** Variables read outside src/config.ts, and the file that reads them (checked below). */
const READ_ELSEWHERE: Record<string, string> = { LOG_LEVEL: 'src/logger.ts' };

// ---------------------------------------------------------------------------
// PromQL: the metric names and label names an expression uses.

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

interface PromQLUse {
  /** Metric names, as written (`x_bucket` stays `x_bucket`). */
  metrics: string[];
  /** Label names in each selector's matchers, by metric name. */
  matchers: Map<string, Set<string>>;
  /** Label names in `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left/right (…)`. */
  grouping: string[];
}

/**
 * Tokenizes a PromQL expression (with Grafana's `$variables`) and returns the metric names it
 * selects: identifiers that are not functions (followed by `(`), aggregations, keywords, label
 * names or durations. Strings, ranges and Grafana variables are skipped.
 */
function promqlUses(expr: string): PromQLUse {
  const metrics: string[] = [];
  const matchers = new Map<string, Set<string>>();
  const grouping: string[] = [];
  let i = 0;
  let lastMetric: string | null = null;
  const peek = () => {
    let j = i;
    while (j < expr.length && /\s/.test(expr[j]!)) j++;
    return expr[j];
  };
  const skipString = () => {
    const quote = expr[i++];
    while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' ? 2 : 1;
    i++;
  };
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === '`') {
      skipString();
    } else if (c === '$') {
      // Grafana variable: $name, $__name, ${name} or ${name:format}.
      i++;
      if (expr[i] === '{') i = expr.indexOf('}', i) + 1;
      else while (i < expr.length && /\w/.test(expr[i]!)) i++;
    } else if (c === '[') {
      i = expr.indexOf(']', i) + 1; // a range or subquery: durations and variables only
    } else if (c === '{') {
      // Matchers: label names before =, !=, =~, !~; values are strings (skipped).
      const labels = lastMetric ? (matchers.get(lastMetric) ?? new Set<string>()) : new Set<string>();
      i++;
      while (i < expr.length && expr[i] !== '}') {
        if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') skipString();
        else {
          const name = /^[a-zA-Z_][a-zA-Z0-9_]*(?=\s*(=~|!~|!=|=))/.exec(expr.slice(i));
          if (name) {
            labels.add(name[0]);
            i += name[0].length;
          } else i++;
        }
      }
      i++;
      if (lastMetric) matchers.set(lastMetric, labels);
      lastMetric = null;
    } else if (/[0-9.]/.test(c)) {
      const number = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)([smhdwy]|ms)?/.exec(expr.slice(i));
      i += number ? number[0].length : 1;
      lastMetric = null;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      i += word.length;
      lastMetric = null;
      if (LABEL_LISTS.has(word)) {
        if (peek() === '(') {
          const close = expr.indexOf(')', i);
          const list = expr.slice(expr.indexOf('(', i) + 1, close);
          grouping.push(
            ...list
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          );
          i = close + 1;
        }
      } else if (KEYWORDS.has(word) || AGGREGATIONS.has(word) || peek() === '(') {
        // A keyword, an aggregation (maybe followed by `by (…)`), or a function call.
      } else {
        metrics.push(word);
        lastMetric = word;
      }
    } else {
      i++;
      lastMetric = null;
    }
  }
  return { metrics, matchers, grouping };
}

// ---------------------------------------------------------------------------
// The dashboard's queries, and what /metrics serves.

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL expression of a dashboard: panel targets (rows' nested panels included) and query variables. */
function dashboardQueries(dashboard: any): Query[] {
  const queries: Query[] = [];
  const walk = (panels: any[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ where: `panel "${panel.title}" (${target.refId})`, expr: target.expr });
      }
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query: string = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    // label_values(<selector>, <label>): the selector is PromQL, the label one of its labels.
    const labelValues = /^\s*label_values\(\s*(.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query ?? '');
    if (labelValues) queries.push({ where: `variable $${variable.name}`, expr: `group by (${labelValues[2]}) (${labelValues[1]})` });
    else if (query) queries.push({ where: `variable $${variable.name}`, expr: query });
  }
  return queries;
}

interface Exposition {
  /** Metric families by name, from `# TYPE` lines (histograms under their base name). */
  types: Map<string, string>;
  /** Label names by sample name (`x_bucket`, `x_count`, `x_total`, …), from the sample lines. */
  labels: Map<string, Set<string>>;
}

function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample || line.startsWith('#')) continue;
    const names = labels.get(sample[1]!) ?? new Set<string>();
    for (const pair of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(pair[1]!);
    labels.set(sample[1]!, names);
  }
  return { types, labels };
}

/**
 * Problems of one dashboard against one /metrics: each metric it queries must be served (a
 * histogram's `_bucket`, `_sum` and `_count` by the histogram), each label it selects or groups by
 * must be one the metric has (or one Prometheus adds). `labelNamesOf` gives the declared label
 * names of a metric (for counters with no sample yet).
 */
function dashboardProblems(dashboard: any, metricsText: string, labelNamesOf: (name: string) => string[] = () => []): string[] {
  const { types, labels } = parseExposition(metricsText);
  const problems: string[] = [];
  for (const { where, expr } of dashboardQueries(dashboard)) {
    const use = promqlUses(expr);
    if (use.metrics.length === 0) problems.push(`${where}: no metric found in ${JSON.stringify(expr)}`);
    const known = new Set(TARGET_LABELS);
    let onlyOurs = true;
    for (const metric of use.metrics) {
      if (metric.startsWith('redis_')) {
        onlyOurs = false;
        if (!REDIS_EXPORTER_METRICS.has(metric))
          problems.push(`${where}: ${metric} is not in the allow-list of redis_exporter metrics (REDIS_EXPORTER_METRICS)`);
        continue;
      }
      if (PROMETHEUS_SERIES.has(metric)) {
        onlyOurs = false;
        continue;
      }
      const suffix = /^(.*)_(bucket|sum|count)$/.exec(metric);
      const base = suffix && (types.get(suffix[1]!) === 'histogram' || types.get(suffix[1]!) === 'summary') ? suffix[1]! : metric;
      const type = types.get(base);
      if (type === undefined) {
        problems.push(`${where}: ${metric} is not in /metrics`);
        continue;
      }
      if (base === metric && (type === 'histogram' || type === 'summary')) {
        problems.push(`${where}: ${metric} is a ${type}: query its _bucket, _sum or _count`);
        continue;
      }
      if (suffix?.[2] === 'bucket' && type !== 'histogram') problems.push(`${where}: ${metric}: ${base} is a ${type}, not a histogram`);
      const names = new Set([...(labels.get(metric) ?? []), ...labelNamesOf(base), ...(suffix?.[2] === 'bucket' ? ['le'] : [])]);
      names.forEach((name) => known.add(name));
      for (const label of use.matchers.get(metric) ?? []) {
        if (!names.has(label) && !TARGET_LABELS.has(label)) problems.push(`${where}: ${metric} has no label ${label}`);
      }
    }
    // Grouping labels: checked when every metric of the expression is this API's (exporter labels are not known here).
    if (onlyOurs) {
      for (const label of use.grouping) if (!known.has(label)) problems.push(`${where}: no metric of ${JSON.stringify(expr)} has the label ${label}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------

describe('promqlUses', () => {
  it('finds metric names, matcher labels and grouping labels, and nothing else', () => {
    const use = promqlUses(
      'histogram_quantile(0.99, sum by (operation, le) (rate(storefront_x_bucket{deployment=~"$deployment", outcome!="a,b}"}[$__rate_interval]))) / ignoring(le) group_left 1e-9 + sum without (mode) (y_total offset 5m) > bool 2',
    );
    expect(use.metrics).toEqual(['storefront_x_bucket', 'y_total']);
    expect([...use.matchers.get('storefront_x_bucket')!]).toEqual(['deployment', 'outcome']);
    expect(use.grouping).toEqual(['operation', 'le', 'le', 'mode']);
    expect(promqlUses('sum(up{job="a"})').metrics).toEqual(['up']);
    expect(promqlUses('rate(redis_cpu_sys_seconds_total{x="y"}[1m]) + rate(redis_cpu_user_seconds_total[1m])').metrics).toEqual([
      'redis_cpu_sys_seconds_total',
      'redis_cpu_user_seconds_total',
    ]);
  });
});

describe('the Grafana dashboard against a real /metrics', () => {
  let api: TestApi;
  let metricsText: string;
  const dashboard = JSON.parse(read(DASHBOARD));
  const labelNamesOf = (name: string): string[] =>
    (api.services.metrics.registry.getSingleMetric(name) as { labelNames?: string[] } | undefined)?.labelNames ?? [];

  beforeAll(async () => {
    api = await startTestApi();
    // A few requests, so that the labelled series exist: a mutation (transaction, publish), a
    // miss then a hit, a named and an anonymous operation, and an error.
    const product = await api.product({ stock: 3 });
    const customer = await api.signUp();
    const read = `query Dashboard($id: ID!) { product(id: $id) { name stock } }`;
    await api.services.store.remove([`${api.namespace}Product:${product.id}`]);
    await api.gql(read, { id: product.globalId });
    await api.gql(read, { id: product.globalId });
    await api.gql(`mutation AddOne($id: ID!) { addToCart(input: { productId: $id, quantity: 1 }) { itemCount } }`, { id: product.globalId }, customer.token);
    await api.gql(`{ me { id } }`, {}, customer.token);
    await api.gql(`query Broken { product(id: "nope") { name } }`);
    metricsText = await (await fetch(api.url.replace(/\/graphql$/, '/metrics'))).text();
  });
  afterAll(() => api?.close());

  it('queries only metrics that exist, with labels they have', () => {
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(25);
    expect(dashboardProblems(dashboard, metricsText, labelNamesOf)).toEqual([]);
  });

  it('covers what to watch in a write-through cache', () => {
    const used = new Set(dashboardQueries(dashboard).flatMap(({ expr }) => promqlUses(expr).metrics));
    for (const metric of [
      'storefront_cache_hits_total', // hit ratio
      'storefront_cache_misses_total',
      'storefront_cache_write_seconds_bucket', // publish latency
      'storefront_db_write_seconds_bucket', // transaction latency
      'storefront_cache_write_failures_total', // sync errors
      'storefront_cache_read_failures_total',
      'storefront_cache_lease_failures_total',
      'storefront_transaction_retries_total',
      'storefront_outbox_backlog_rows',
      'storefront_outbox_oldest_age_seconds',
      'storefront_cache_repairs_total',
      'storefront_graphql_requests_total', // rate and errors by operation
      'storefront_graphql_operation_duration_seconds_bucket', // latency by operation
      'redis_memory_used_bytes',
      'redis_cpu_sys_seconds_total',
      'redis_cpu_user_seconds_total',
      'redis_evicted_keys_total',
    ]) {
      expect(used, metric).toContain(metric);
    }
  });

  it('fails on a metric that does not exist, a histogram queried bare, a label a metric lacks, and an exporter metric off the list', () => {
    // A panel of its own, so that this control does not depend on the real dashboard being right.
    const doctored = {
      panels: [
        {
          type: 'timeseries',
          title: 'Doctored',
          targets: [
            { refId: 'A', expr: 'sum(rate(storefront_cache_hitz_total[5m]))' },
            { refId: 'B', expr: 'storefront_db_write_seconds' },
            { refId: 'C', expr: 'sum by (entity) (rate(storefront_graphql_requests_total{outcom="error"}[5m]))' },
            { refId: 'D', expr: 'redis_made_up_bytes' },
            { refId: 'E', expr: 'sum(rate(storefront_cache_hits_total[5m]))' }, // fine
          ],
        },
      ],
    };
    expect(dashboardProblems(doctored, metricsText, labelNamesOf)).toEqual([
      'panel "Doctored" (A): storefront_cache_hitz_total is not in /metrics',
      'panel "Doctored" (B): storefront_db_write_seconds is a histogram: query its _bucket, _sum or _count',
      'panel "Doctored" (C): storefront_graphql_requests_total has no label outcom',
      'panel "Doctored" (C): no metric of "sum by (entity) (rate(storefront_graphql_requests_total{outcom=\\"error\\"}[5m]))" has the label entity',
      'panel "Doctored" (D): redis_made_up_bytes is not in the allow-list of redis_exporter metrics (REDIS_EXPORTER_METRICS)',
    ]);
  });

  it('uses the provisioned datasource, and is where Grafana loads dashboards from', () => {
    const datasources = yaml('deploy/grafana/provisioning/datasources/prometheus.yml').datasources;
    const uids = new Set(datasources.map((d: { uid: string }) => d.uid));
    const panels = dashboard.panels.filter((p: any) => p.type !== 'row' && p.type !== 'text');
    for (const panel of panels) expect(uids, panel.title).toContain(panel.datasource.uid);
    const provider = yaml('deploy/grafana/provisioning/dashboards/storefront.yml').providers[0];
    const grafana = yaml('docker-compose.yml').services.grafana;
    expect(grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
    expect(grafana.volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});

// ---------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  const compose = yaml('docker-compose.yml');
  const services: Record<string, any> = compose.services;
  const inProfile = (profile: string) => Object.keys(services).filter((name) => services[name].profiles?.includes(profile));
  const commandOf = (service: any): string => (Array.isArray(service.command) ? service.command.join(' ') : String(service.command ?? ''));
  const apis = Object.keys(services).filter((name) => services[name].image === 'storefront-api');
  const redisServers = Object.keys(services).filter((name) => services[name].image === 'redis:7' && /redis-server/.test(commandOf(services[name])));

  it('runs PostgreSQL, one Redis and the API without a profile', () => {
    const always = Object.keys(services).filter((name) => !services[name].profiles);
    expect(always.sort()).toEqual(['api', 'postgres', 'redis']);
    expect(services.api.environment.REDIS_URL).toBe('redis://redis:6379');
  });

  it('has a Redis Cluster profile: 6 nodes and a one-shot init', () => {
    const cluster = inProfile('cluster');
    const nodes = cluster.filter((name) => /--cluster-enabled yes/.test(commandOf(services[name])));
    expect(nodes).toHaveLength(6);
    for (const node of nodes) {
      expect(services[node].image).toBe('redis:7');
      expect(commandOf(services[node])).toMatch(/--cluster-announce-hostname .*--cluster-preferred-endpoint-type hostname/);
      expect(services[node].hostname).toBe(node);
    }
    const init = commandOf(services['redis-cluster-init']);
    expect(init).toMatch(/redis-cli --cluster create[\s\\]+/);
    expect(init).toMatch(/--cluster-replicas 1 --cluster-yes/);
    for (const node of nodes) expect(init).toContain(`${node}:6379`);
    expect(services['redis-cluster-init'].restart).toBe('no');
    expect(services['api-cluster'].depends_on['redis-cluster-init'].condition).toBe('service_completed_successfully');
    expect(services['api-cluster'].environment.REDIS_CLUSTER_NODES.split(',').every((n: string) => nodes.includes(n.split(':')[0]!))).toBe(true);
  });

  it('has a Sentinel profile: a primary, a replica and 3 Sentinels', () => {
    const sentinel = inProfile('sentinel');
    const sentinels = sentinel.filter((name) => /--sentinel/.test(commandOf(services[name])));
    expect(sentinels).toHaveLength(3);
    const data = sentinel.filter((name) => redisServers.includes(name) && !sentinels.includes(name));
    expect(data.filter((name) => /--replicaof/.test(commandOf(services[name])))).toEqual(['redis-replica']);
    expect(data.sort()).toEqual(['redis-primary', 'redis-replica']);
    for (const name of sentinels) expect(commandOf(services[name])).toContain('sentinel monitor storefront redis-primary 6379 2');
    const env = services['api-sentinel'].environment;
    expect(env.REDIS_SENTINEL_NAME).toBe('storefront');
    expect(
      env.REDIS_SENTINELS.split(',')
        .map((n: string) => n.split(':')[0])
        .sort(),
    ).toEqual(sentinels.sort());
  });

  it('has a monitoring profile: Prometheus, redis_exporter, Grafana', () => {
    const monitoring = inProfile('monitoring');
    expect(monitoring.sort()).toEqual(['grafana', 'prometheus', 'redis-exporter']);
    expect(services['redis-exporter'].image).toMatch(/^oliver006\/redis_exporter:/);
  });

  it('keeps persistence off in every Redis', () => {
    expect(redisServers.length).toBe(1 + 6 + 2 + 3);
    for (const name of redisServers) {
      if (/--sentinel/.test(commandOf(services[name]))) continue; // Sentinels hold no data
      const command = services[name].command;
      const text = Array.isArray(command) && command[0] !== 'sh' ? command.map((a: string) => (a === '' ? '""' : a)).join(' ') : commandOf(services[name]);
      expect(text, name).toMatch(/--save ""/);
      expect(text, name).toMatch(/--appendonly no/);
      expect(text, name).toMatch(/--maxmemory-policy noeviction/);
    }
  });

  it('gives each API its own database, and /metrics to Prometheus only', () => {
    expect(apis.sort()).toEqual(['api', 'api-cluster', 'api-sentinel']);
    const databases = apis.map((name) => new URL(services[name].environment.DATABASE_URL).pathname);
    expect(new Set(databases).size).toBe(apis.length);
    const prometheus = yaml('deploy/prometheus/prometheus.yml');
    const apiJob = prometheus.scrape_configs.find((job: any) => job.job_name === 'storefront-api');
    const targets = apiJob.static_configs.flatMap((config: any) => config.targets);
    for (const name of apis) {
      const env = services[name].environment;
      expect(env.NODE_ENV).toBe('production');
      expect(env.METRICS_PORT, `${name}: production serves /metrics only with METRICS_PORT or METRICS_TOKEN`).toMatch(/^[0-9]+$/);
      expect(targets).toContain(`${name}:${env.METRICS_PORT}`);
      // The metrics port stays inside the compose network.
      expect((services[name].ports ?? []).join(' ')).not.toContain(env.METRICS_PORT);
    }
    // Every Redis of every topology is scraped through the exporter.
    const redisJob = prometheus.scrape_configs.find((job: any) => job.job_name === 'redis');
    const redisTargets = redisJob.static_configs.flatMap((config: any) => config.targets);
    for (const name of redisServers) expect(redisTargets, name).toContain(`redis://${name}:${/--sentinel/.test(commandOf(services[name])) ? 26379 : 6379}`);
  });

  it('gives the API only variables that src/config.ts reads (or pending ones)', () => {
    const config = read('src/config.ts');
    const readByConfig = new Set<string>();
    for (const match of config.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]|\s*,\s*['"]([A-Z][A-Z0-9_]*)['"])/g)) {
      readByConfig.add((match[1] ?? match[2] ?? match[3])!);
    }
    // The grep works: names config.ts is known to read.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'JWT_SECRET', 'METRICS_PORT', 'PORT']) expect(readByConfig, name).toContain(name);
    for (const [name, file] of Object.entries(READ_ELSEWHERE)) expect(read(file), `${file} reads ${name}`).toMatch(new RegExp(`env\\.${name}\\b`));
    const unknown: string[] = [];
    for (const api of apis) {
      for (const name of Object.keys(services[api].environment)) {
        if (!readByConfig.has(name) && !PENDING_VARIABLES.has(name) && !(name in READ_ELSEWHERE)) unknown.push(`${api}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
