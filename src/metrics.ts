/**
 * Prometheus metrics at /metrics (prom-client). Cache and database counters
 * are read from the counters the cache core and the database client already
 * keep, at scrape time; GraphQL requests are counted and timed by an Apollo
 * plugin, by operation name.
 *
 * Every label value has a bounded set of possible values. Each distinct value
 * is a series that prom-client keeps forever, so a label a client can choose
 * (the operation name) would otherwise let anyone grow /metrics and the
 * process's memory without limit: operation names get a series each up to a
 * cap (METRICS_MAX_OPERATIONS), then share `__other`.
 *
 * Who may read /metrics is decided here too (`metricsExposure`): in production
 * it is never public on the API port.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ErrorCode } from './graphql/errors.js';
import type { RouteHandlerMethod } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TRANSIENT_REASONS, type CacheObserver, type CacheStats } from 'prisma-write-through';
import type { Config, HttpTimeouts } from './config.js';
import { fastifyServer } from './security/http.js';
import { cachedEntities } from './db/entities.js';
import { registerSecret } from './security/redact.js';

/** Default of METRICS_MAX_OPERATIONS: how many operation names get a series of their own. */
export const DEFAULT_MAX_OPERATIONS = 100;
/** Longest label value taken from outside, in characters (GraphQL names are rarely longer than 30). */
export const MAX_LABEL_LENGTH = 64;
/** The label value shared by every value past a cap, or not fit to be a label. */
export const OTHER = '__other';
/** The operation label of operations without a name. */
export const ANONYMOUS = '__anonymous';

/**
 * Values fit to be a label: a GraphQL name of at most MAX_LABEL_LENGTH characters. Names starting
 * with `__` are reserved by GraphQL, so no client can pass off its own as `__other` or `__anonymous`.
 */
const LABEL_VALUE = new RegExp(`^(?!__)[A-Za-z_][A-Za-z0-9_]{0,${MAX_LABEL_LENGTH - 1}}$`);

/** A label whose values are bounded in number and length; see `boundedLabel`. */
export interface BoundedLabel {
  /** The label value for `value`: itself if admitted (or admissible: then it is admitted), `__other` otherwise. */
  (value: string): string;
  /** Changes the cap; values admitted already keep their series (they are never forgotten). */
  limit(max: number): void;
}

/**
 * A bounded set of label values, first come first served: `known` values are
 * always admitted, and any other value fit to be a label (`fits`: by default a
 * GraphQL name of at most MAX_LABEL_LENGTH characters, not starting with `__`)
 * is admitted while fewer than `max` values are. Everything else maps to
 * `__other`. So the label never has more than `max` (or `known`'s size, if
 * larger) values plus `__other`.
 *
 * The cost of a cap taken first come first served: after a restart, a client
 * that sends many names first can take the slots, and later names (even
 * legitimate ones) are then counted under `__other`; they are still counted.
 */
export function boundedLabel({ max, known = [], fits = LABEL_VALUE }: { max: number; known?: Iterable<string>; fits?: RegExp }): BoundedLabel {
  const admitted = new Set(known);
  let cap = max;
  const label = ((value: string) => {
    if (admitted.has(value)) return value;
    if (admitted.size >= cap || !fits.test(value)) return OTHER;
    admitted.add(value);
    return value;
  }) as BoundedLabel;
  label.limit = (next: number) => {
    cap = next;
  };
  return label;
}

export interface Metrics {
  /** Every metric of this API (one registry per `createMetrics`, so tests can run several APIs in one process). */
  registry: Registry;
  /** Counts and times every GraphQL operation. */
  plugin: ApolloServerPlugin;
  /** Receives the cache core's timings and batch sizes. */
  observer: CacheObserver;
  /**
   * Sets how many distinct operation names get a series of their own (METRICS_MAX_OPERATIONS);
   * later names share `__other`. Call it before serving. @default 100 (DEFAULT_MAX_OPERATIONS)
   */
  limitOperations(max: number): void;
}

export interface MetricsSources {
  /** `write-through`, or the benchmark variant in use (scripts/bench/variants.ts): a default label of every metric. */
  mode: string;
  stats: CacheStats;
  dbStats: { queries: number; background: number };
  /** Outbox rows waiting and the age of the oldest (null when the mode has no outbox). */
  outboxBacklog: () => Promise<{ rows: number; oldestAgeMs: number } | null>;
  /** The cache epoch in use, null while fenced or without Redis (packages/prisma-write-through/src/epoch.ts). */
  cacheEpoch?: () => number | null;
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

/**
 * Builds the registry: Node's process metrics, the mirrored cache and database counters, and the
 * GraphQL and cache timings, every label bounded (operation names at DEFAULT_MAX_OPERATIONS until
 * `limitOperations` says otherwise). /metrics itself is served by `metricsHandler`.
 */
export function createMetrics({ mode, stats, dbStats, outboxBacklog, cacheEpoch }: MetricsSources): Metrics {
  const registry = new Registry();
  new Gauge({
    name: 'storefront_cache_epoch',
    help: 'The cache epoch in use (a new one after every Redis restart or failover); -1 while fenced or without Redis',
    registers: [registry],
    collect() {
      this.set(cacheEpoch?.() ?? -1);
    },
  });
  registry.setDefaultLabels({ mode });
  collectDefaultMetrics({ register: registry, prefix: 'storefront_' });
  const counters: [Exclude<keyof CacheStats, 'entities'> | 'dbQueries', string, string][] = [
    ['dbQueries', 'storefront_db_queries_total', 'SQL statements sent to PostgreSQL on behalf of requests (BEGIN and COMMIT included)'],
    ['readRoundTrips', 'storefront_cache_read_round_trips_total', 'Round trips to the cache store for reads'],
    ['writeRoundTrips', 'storefront_cache_write_round_trips_total', 'Round trips to the cache store for writes, leases and releases'],
    ['hits', 'storefront_cache_hits_total', 'Entities found in the cache'],
    ['misses', 'storefront_cache_misses_total', 'Entities read from PostgreSQL because the cache did not have them'],
    [
      'shapeMisses',
      'storefront_cache_shape_misses_total',
      'Cache values of another shape than this code caches (written by another version, during a deploy), read from PostgreSQL instead',
    ],
    ['readFailures', 'storefront_cache_read_failures_total', 'Cache reads that failed and fell back to PostgreSQL'],
    [
      'fencedReads',
      'storefront_cache_fenced_reads_total',
      'Cache reads answered by PostgreSQL without trying Redis: the epoch fence was up (Redis changed or is being checked)',
    ],
    ['writeFailures', 'storefront_cache_write_failures_total', 'Cache writes after commit that failed (repaired from the outbox)'],
    ['leaseFailures', 'storefront_cache_lease_failures_total', 'Leases that could not be taken before a commit'],
    ['repairs', 'storefront_cache_repairs_total', 'Outbox rows replayed by the reconciler'],
    [
      'fillJoins',
      'storefront_cache_fill_joins_total',
      'Cache misses answered by a PostgreSQL read another request of this instance had just started (single-flight)',
    ],
    ['fillWaits', 'storefront_cache_fill_waits_total', "Cache misses that waited for another reader's fill (its fill lease) instead of reading PostgreSQL"],
    ['fillWaitTimeouts', 'storefront_cache_fill_wait_timeouts_total', 'Of those, the ones that read PostgreSQL after all (the fill did not come in time)'],
  ];
  for (const [field, name, help] of counters) {
    mirrored(registry, name, help, () => (field === 'dbQueries' ? dbStats.queries : stats[field]));
  }
  mirrored(
    registry,
    'storefront_db_background_queries_total',
    'SQL statements of background work (reconciler, outbox cleanup, cache epoch checks, outbox backlog), on a pool of their own',
    () => dbStats.background,
  );
  // Entity names come from the server's own configuration, not from clients; still, the cache core
  // reports whatever name it is given, so only the configured entities get a series.
  const entityLabel = boundedLabel({ max: 0, known: Object.keys(cachedEntities) });
  for (const kind of ['hits', 'misses'] as const) {
    new Counter({
      name: `storefront_cache_entity_${kind}_total`,
      help: `Entities ${kind === 'hits' ? 'found in' : 'missing from'} the cache, by entity`,
      labelNames: ['entity'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [entity, counts] of Object.entries(stats.entities)) this.inc({ entity: entityLabel(entity) }, counts[kind]);
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

  // Operation names are chosen by clients: bounded in number and length (see boundedLabel).
  const operationLabel = boundedLabel({ max: DEFAULT_MAX_OPERATIONS });
  // Error codes: the API's own (ErrorCode) and Apollo's; anything else is counted as __other.
  const codeLabel = boundedLabel({ max: 0, known: [...Object.values(ErrorCode), ...Object.values(ApolloServerErrorCode)] });
  const errorsByCode = new Counter({
    name: 'storefront_graphql_errors_total',
    help: 'Errors sent to clients, by extensions.code',
    labelNames: ['code'],
    registers: [registry],
  });
  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      const end = duration.startTimer();
      return {
        async willSendResponse({ operationName, errors, response }) {
          // No name: an anonymous operation, or a request refused before its operation was known.
          const operation = operationName ? operationLabel(operationName) : ANONYMOUS;
          end({ operation });
          requests.inc({ operation, outcome: errors?.length ? 'error' : 'ok' });
          // As the client saw them: formatted (masked errors carry INTERNAL_SERVER_ERROR).
          const sent = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          for (const error of sent ?? []) errorsByCode.inc({ code: codeLabel(String(error.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR)) });
        },
      };
    },
  };
  // The reasons of packages/prisma-write-through/src/transient.ts (a closed set); a name outside it would be a bug, counted as __other.
  const retryReason = boundedLabel({ max: 0, known: TRANSIENT_REASONS });
  const retries = new Counter({
    name: 'storefront_transaction_retries_total',
    help: 'Transactions rolled back for a transient reason, by reason: run again (outcome retried) or given up (outcome conflict: the client got TRANSACTION_CONFLICT)',
    labelNames: ['reason', 'outcome'],
    registers: [registry],
  });
  // Nodes come from the Redis deployment, not from clients (`host:port`, or `redis` on one node);
  // capped anyway (a cluster's members change over time).
  const nodeLabel = boundedLabel({ max: 64, fits: /^[A-Za-z0-9._:[\]-]{1,128}$/ });
  const roundTrips = new Counter({
    name: 'storefront_cache_round_trips_total',
    help: 'Round trips to Redis, by node (host:port on a Cluster, "redis" otherwise) and kind (read or write)',
    labelNames: ['node', 'kind'],
    registers: [registry],
  });
  const observer: CacheObserver & { transactionRetry(reason: string, retried: boolean): void; roundTrip(node: string, kind: 'read' | 'write'): void } = {
    roundTrip: (node, kind) => roundTrips.inc({ node: nodeLabel(node), kind }),
    loaderBatch: (entity, keys) => batchSize.observe({ entity: entityLabel(entity) }, keys),
    transaction: (seconds, committed) => transactions.observe({ outcome: committed ? 'committed' : 'rolled back' }, seconds),
    publish: (seconds, ok) => publishes.observe({ outcome: ok ? 'ok' : 'failed' }, seconds),
    transactionRetry: (reason, retried) => retries.inc({ reason: retryReason(reason), outcome: retried ? 'retried' : 'conflict' }),
  };
  return { registry, plugin, observer, limitOperations: (max) => operationLabel.limit(max) };
}

/**
 * Where /metrics is served and to whom, decided once at start from the configuration:
 *
 * - `METRICS_PORT` set: only on that port (its own small server), never on the API port;
 * - `METRICS_TOKEN` set: wherever /metrics is served, only to `Authorization: Bearer <token>`;
 * - neither, in production: not served at all (`warning` says how to turn it on), because the API
 *   port is public and /metrics tells anyone the traffic, the operations and the process's state;
 * - neither, in development or test: public on the API port, as before.
 */
export interface MetricsExposure {
  /** Serve /metrics on the API port. */
  onApiPort: boolean;
  /** Serve /metrics on a port of its own (0: a free one), or not (null). */
  ownPort: number | null;
  /** The bearer token a scrape must present, or null for none. */
  token: string | null;
  /** A warning to log at start, or null. */
  warning: string | null;
}

/** Decides where /metrics is served (see `MetricsExposure`); never throws (the configuration is validated already). */
export function metricsExposure(config: Pick<Config, 'nodeEnv' | 'metrics'>): MetricsExposure {
  const { port, token } = config.metrics;
  const hidden = config.nodeEnv === 'production' && port === null && token === null;
  return {
    onApiPort: port === null && !hidden,
    ownPort: port,
    token,
    warning: hidden
      ? '/metrics is not served: in production it needs METRICS_TOKEN (scrape with Authorization: Bearer <token>) or METRICS_PORT (a port of its own, not exposed publicly)'
      : null,
  };
}

/**
 * GET /metrics: the registry in Prometheus text format. With a `token`, only for
 * `Authorization: Bearer <token>` (compared in constant time); any other request
 * gets 401 with `WWW-Authenticate: Bearer`. The token is also registered as a
 * secret, so no log line can show it.
 */
export function metricsHandler(registry: Registry, token: string | null): RouteHandlerMethod {
  registerSecret(token);
  // Both sides hashed first: timingSafeEqual needs equal lengths, and this way the token's length does not leak either.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = token === null ? null : digest(token);
  return async (request, reply) => {
    void reply.header('Cache-Control', 'no-store');
    if (expected) {
      const given = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('Unauthorized\n');
      }
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  };
}

/** The server of METRICS_PORT. */
export interface MetricsServer {
  /** Base URL once listening, e.g. `http://127.0.0.1:9464`. */
  url: string;
  /** Stops listening and closes its connections (a scrape in flight gets up to 2 s to finish). */
  close(): Promise<void>;
}

/**
 * Serves /metrics alone (404 for anything else) on a port of its own, so that
 * it can stay unreachable from outside while the API port is public.
 * `port` 0 picks a free one. Rejects if the port cannot be listened on.
 */
export async function startMetricsServer({
  registry,
  token,
  port,
  host,
  timeouts,
}: {
  registry: Registry;
  token: string | null;
  port: number;
  host: string;
  timeouts: HttpTimeouts;
}): Promise<MetricsServer> {
  // The API port's slow-client limits, checked as often (see httpServerOptions).
  const { app, httpServer: server } = fastifyServer(timeouts);
  app.get('/metrics', metricsHandler(registry, token));
  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send({ errors: [{ message: 'Not found: this port serves /metrics only', extensions: { code: ErrorCode.NOT_FOUND } }] }),
  );
  await app.ready();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() waits for every connection to end; Prometheus keeps its connections alive.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
