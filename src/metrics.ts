/**
 * Prometheus metrics at /metrics (prom-client). Cache and database counters
 * are read from the counters the cache core and the database client already
 * keep, at scrape time; GraphQL requests are counted and timed by an Apollo
 * plugin, by operation name.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheObserver, CacheStats } from './cache/index.js';

export interface Metrics {
  registry: Registry;
  /** Counts and times every GraphQL operation. */
  plugin: ApolloServerPlugin;
  /** Receives the cache core's timings and batch sizes. */
  observer: CacheObserver;
}

export interface MetricsSources {
  mode: string;
  stats: CacheStats;
  dbStats: { queries: number };
  /** Outbox rows waiting and the age of the oldest (null when the mode has no outbox). */
  outboxBacklog: () => Promise<{ rows: number; oldestAgeMs: number } | null>;
}

/** A counter whose value is read from a running total at scrape time. */
function mirrored(registry: Registry, name: string, help: string, read: () => number) {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function createMetrics({ mode, stats, dbStats, outboxBacklog }: MetricsSources): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ mode });
  collectDefaultMetrics({ register: registry, prefix: 'storefront_' });
  const counters: [Exclude<keyof CacheStats, 'entities'> | 'dbQueries', string, string][] = [
    ['dbQueries', 'storefront_db_queries_total', 'SQL statements sent to PostgreSQL (BEGIN and COMMIT included)'],
    ['readRoundTrips', 'storefront_cache_read_round_trips_total', 'Round trips to the cache store for reads'],
    ['writeRoundTrips', 'storefront_cache_write_round_trips_total', 'Round trips to the cache store for writes, leases and releases'],
    ['hits', 'storefront_cache_hits_total', 'Entities found in the cache'],
    ['misses', 'storefront_cache_misses_total', 'Entities read from PostgreSQL because the cache did not have them'],
    ['readFailures', 'storefront_cache_read_failures_total', 'Cache reads that failed and fell back to PostgreSQL'],
    ['writeFailures', 'storefront_cache_write_failures_total', 'Cache writes after commit that failed (repaired from the outbox)'],
    ['leaseFailures', 'storefront_cache_lease_failures_total', 'Leases that could not be taken before a commit'],
    ['repairs', 'storefront_cache_repairs_total', 'Outbox rows replayed by the reconciler'],
  ];
  for (const [field, name, help] of counters) {
    mirrored(registry, name, help, () => (field === 'dbQueries' ? dbStats.queries : stats[field]));
  }
  for (const kind of ['hits', 'misses'] as const) {
    new Counter({
      name: `storefront_cache_entity_${kind}_total`,
      help: `Entities ${kind === 'hits' ? 'found in' : 'missing from'} the cache, by entity`,
      labelNames: ['entity'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [entity, counts] of Object.entries(stats.entities)) this.inc({ entity }, counts[kind]);
      },
    });
  }
  const batchSize = new Histogram({
    name: 'storefront_dataloader_batch_size',
    help: 'Keys per DataLoader batch, by entity',
    labelNames: ['entity'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const transactions = new Histogram({
    name: 'storefront_db_write_seconds',
    help: 'Write transactions, from start to COMMIT or rollback',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const publishes = new Histogram({
    name: 'storefront_cache_write_seconds',
    help: 'Cache writes after COMMIT (with retries)',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'storefront_cache_hit_ratio',
    help: 'Hits over hits and misses since start',
    registers: [registry],
    collect() {
      const total = stats.hits + stats.misses;
      this.set(total === 0 ? 0 : stats.hits / total);
    },
  });
  const backlogAge = new Gauge({
    name: 'storefront_outbox_oldest_age_seconds',
    help: 'Age of the oldest outbox row not yet confirmed in the cache',
    registers: [registry],
  });
  new Gauge({
    name: 'storefront_outbox_backlog_rows',
    help: 'Outbox rows not yet confirmed in the cache',
    registers: [registry],
    async collect() {
      const backlog = await outboxBacklog().catch(() => ({ rows: NaN, oldestAgeMs: NaN }));
      this.set(backlog?.rows ?? 0);
      backlogAge.set((backlog?.oldestAgeMs ?? 0) / 1000);
    },
  });

  const requests = new Counter({
    name: 'storefront_graphql_requests_total',
    help: 'GraphQL operations, by operation name and outcome',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'storefront_graphql_operation_duration_seconds',
    help: 'GraphQL operation duration, by operation name',
    labelNames: ['operation'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      const end = duration.startTimer();
      return {
        async willSendResponse({ operationName, errors }) {
          // Operation names are client-chosen: only well-formed ones become label values.
          const operation = operationName && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(operationName) ? operationName : 'anonymous';
          end({ operation });
          requests.inc({ operation, outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
  const observer: CacheObserver = {
    loaderBatch: (entity, keys) => batchSize.observe({ entity }, keys),
    transaction: (seconds, committed) => transactions.observe({ outcome: committed ? 'committed' : 'rolled back' }, seconds),
    publish: (seconds, ok) => publishes.observe({ outcome: ok ? 'ok' : 'failed' }, seconds),
  };
  return { registry, plugin, observer };
}
