/**
 * Configuration from the environment, validated once at start with messages
 * that say what was expected and what was received.
 */
import { isIP } from 'node:net';

/** The development signing secret: refused when NODE_ENV=production. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-do-not-use-in-production';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  /** PostgreSQL connection URL; null (DATABASE_URL unset): the embedded PostgreSQL (PGlite) in `dataDir`. */
  databaseUrl: string | null;
  /**
   * DIRECT_DATABASE_URL: the connection migrations and the change listener's LISTEN use instead
   * of `databaseUrl`, straight to PostgreSQL when DATABASE_URL goes through a pooler (PgBouncer in
   * transaction mode cannot keep the migration engine's session-level advisory lock, and LISTEN
   * through it hears nothing); null: both use `databaseUrl`.
   */
  directDatabaseUrl: string | null;
  /** Redis connection URL (REDIS_URL, one node); null otherwise. */
  redisUrl: string | null;
  /**
   * Which Redis and how to reach it: one node (REDIS_URL), a Cluster
   * (REDIS_CLUSTER_NODES) or a primary behind Sentinel (REDIS_SENTINELS);
   * null when none is set: the in-process cache store (one API process).
   */
  redis: RedisTopology | null;
  /** Where the embedded database keeps its files. @default ".data/pglite" */
  dataDir: string;
  /** HTTP port; 0 picks a free one. @default 4000 */
  port: number;
  /** Secret used to sign bearer tokens (HS256); at least 32 characters in production. */
  jwtSecret: string;
  /** Lifetime of a session and its bearer token, in seconds (1 or more). @default 604800 (7 days) */
  jwtTtlSeconds: number;
  /** Time to live of cache entries, in seconds. @default 3600 */
  cacheTtlSeconds: number;
  /** Prefix of every Redis key this API writes. @default "sf:" */
  cacheNamespace: string;
  /** What a mutation does when Redis cannot take part: refuse (`fail`) or commit and repair later. @default "fail" */
  cacheWritePolicy: 'fail' | 'repair';
  /** How long a write's lease on its cache keys lives if the writer dies, in ms. @default 5000 */
  cacheLeaseMs: number;
  /**
   * How long a fill lease lives, in ms (concurrent misses of a key cost one
   * PostgreSQL read: packages/prisma-write-through/src/fills.ts); 0 turns
   * single-flight and fill leases off. @default 500
   */
  cacheFillLeaseMs: number;
  /** How long one Redis command may take before it counts as failed, in ms. @default 250 */
  redisCommandTimeoutMs: number;
  /** How often the reconciler replays the outbox, in ms. @default 1000 */
  reconcileIntervalMs: number;
  /** Outbox rows younger than this are left to their writer, in ms. @default 2000 */
  outboxReplayAfterMs: number;
  /** Which hops may set X-Forwarded-For (the client IP for rate limits), as Express's `trust proxy` (src/security/http.ts `proxyTrust`). @default false */
  trustProxy: boolean | number | string;
  /** Largest request body accepted, in bytes. @default 102400 */
  bodyLimitBytes: number;
  /** How long one GraphQL operation may run before it is answered with TIMEOUT, in ms. @default 10000 */
  requestTimeoutMs: number;
  /** Node's HTTP server timeouts against slow clients (slow-loris). */
  httpTimeouts: HttpTimeouts;
  /** Query limits, checked before anything runs. */
  queryLimits: QueryLimits;
  /** Rate limits of logIn, signUp and email changes; `null` when RATE_LIMITS=off. */
  rateLimits: RateLimits | null;
  /** Where and to whom /metrics is served, and how many operation names it tells apart (src/metrics.ts). */
  metrics: MetricsConfig;
  /** Which browser origins may call /graphql (CORS), and how long a browser may cache a preflight. */
  cors: CorsConfig;
  /**
   * TRUSTED_DOCUMENTS: paths of persisted-documents manifests (graphql-codegen's
   * `persisted-documents.json`, `{ "<sha256 hex>": "<document>" }`); when set, only their
   * documents run (src/security/trusted-documents.ts). null when unset: any document runs.
   */
  trustedDocuments: string[] | null;
}

/** Cross-origin requests from browsers (src/security/cors.ts). */
export interface CorsConfig {
  /**
   * CORS_ORIGINS: the origins (`scheme://host[:port]`, as a browser sends them in `Origin`) whose
   * pages may read the API's answers, matched exactly; `'*'` for any origin (opt-in, never the
   * default). @default none in production; the Vite dev and preview servers' origins otherwise
   * (`DEVELOPMENT_CORS_ORIGINS`)
   */
  origins: string[] | '*';
  /** CORS_MAX_AGE_SECONDS: how long a browser may reuse a preflight's answer (`Access-Control-Max-Age`), 0 to 86400. @default 600 */
  maxAgeSeconds: number;
  /**
   * CORS_ALLOWED_HEADERS: request headers a page may send beyond the ones the API reads
   * (src/security/cors.ts `CORS_ALLOWED_HEADERS`), lower-case, e.g. `sentry-trace,baggage` for a
   * tracing library. @default none
   */
  extraHeaders: string[];
}

/** `host:port` of a Redis node or a Sentinel. */
export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS of Cluster nodes or of the Sentinel-managed primary and replicas. */
export interface RedisAuth {
  /** REDIS_USERNAME (ACL user); null for the default user. */
  username: string | null;
  /** REDIS_PASSWORD; null for none. */
  password: string | null;
  /** REDIS_TLS=on: TLS to every node, verified against the system CAs and NODE_EXTRA_CA_CERTS. */
  tls: boolean;
}

/** See `Config.redis`. */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      /** REDIS_SENTINEL_NAME: the monitored primary's name (`sentinel monitor <name> ...`). */
      name: string;
      auth: RedisAuth;
      /** REDIS_SENTINEL_PASSWORD: the Sentinels' own password, if they have one. */
      sentinelPassword: string | null;
    };

export interface MetricsConfig {
  /** METRICS_PORT: serve /metrics only on this port, not on the API port (0 picks a free one); null when unset. Must differ from PORT. */
  port: number | null;
  /** METRICS_TOKEN: /metrics answers only `Authorization: Bearer <token>` (16 to 256 visible ASCII characters); null when unset. */
  token: string | null;
  /** METRICS_MAX_OPERATIONS: operation names with a series of their own, 0 to 10000; later names share `__other`. @default 100 */
  maxOperations: number;
}

export interface QueryLimits {
  /** Deepest selection (`{ me { id } }` is 2). @default 10 */
  maxDepth: number;
  /** Aliases per operation. @default 15 */
  maxAliases: number;
  /** Directives per operation. @default 20 */
  maxDirectives: number;
  /** Lexical tokens per document. @default 1000 */
  maxTokens: number;
  /** Estimated cost (objects returned, lists multiplied by their page size). @default 5000 */
  maxCost: number;
}

/** Node's HTTP server timeouts, in ms; src/server/http.ts checks them every second (or more often). */
export interface HttpTimeouts {
  /** Time to send a request's headers (Node's `headersTimeout`), from its first byte. @default 10000 */
  headersMs: number;
  /** Time to send a whole request, headers and body (Node's `requestTimeout`). @default 30000 */
  requestMs: number;
  /** How long an idle keep-alive connection stays open (Node's `keepAliveTimeout`; Node adds 1 s of grace). @default 5000 */
  keepAliveMs: number;
}

/** `points` attempts per `seconds`, per key. */
export interface Rate {
  points: number;
  seconds: number;
}

export interface RateLimits {
  /** Failed logIns per client IP, whatever the email (slow brute force). @default 100 per 86400 s */
  logInPerIp: Rate;
  /** Consecutive failed logIns per client IP and email; a success resets it. @default 10 per 3600 s */
  logInPerIpAndAccount: Rate;
  /**
   * Failed logIns per email from every client together (existing or not); a success resets it.
   * A ceiling against attacks spread over many addresses: far above `logInPerIp`, so that no
   * one client can lock an account's owner out. @default 1000 per 86400 s
   */
  logInPerAccount: Rate;
  /** signUp attempts per client IP. @default 20 per 3600 s */
  signUpPerIp: Rate;
  /** signUp attempts per email. @default 5 per 3600 s */
  signUpPerAccount: Rate;
  /** Email changes (updateProfile with an email) per signed-in user. @default 10 per 3600 s */
  emailChangePerUser: Rate;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function urlOf(env: Env, name: string, example: string, protocols: string[]): string | null {
  const raw = env[name];
  if (!raw) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${example}, got ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${parsed.protocol}//`);
  }
  return raw;
}

/** `<points>/<seconds>`, e.g. `10/900`: ten per fifteen minutes. */
function rate(env: Env, name: string, fallback: Rate): Rate {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^([0-9]{1,7})\/([0-9]{1,8})$/.exec(raw.trim());
  const points = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || points < 1 || seconds < 1 || seconds > 30 * 24 * 3600) {
    throw new ConfigError(
      `${name} must be <attempts>/<seconds> like ${fallback.points}/${fallback.seconds} (at least 1/1, at most 30 days), got ${JSON.stringify(raw)}`,
    );
  }
  return { points, seconds };
}

/** Express's `trust proxy`: off, a hop count, or a comma-separated list of addresses, subnets or loopback/linklocal/uniquelocal. */
function trustProxy(env: Env): boolean | number | string {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (/^[0-9]{1,2}$/.test(raw)) return Number(raw);
  const parts = raw.split(',').map((p) => p.trim());
  const valid = (part: string) =>
    ['loopback', 'linklocal', 'uniquelocal'].includes(part) || (/^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/.test(part) && isIP(part.split('/')[0]!) !== 0);
  if (!parts.every(valid)) {
    throw new ConfigError(
      `TRUST_PROXY must be false, a hop count, or a comma-separated list of IPs, subnets, loopback, linklocal or uniquelocal, got ${JSON.stringify(raw)}`,
    );
  }
  return parts.join(',');
}

/** HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS; Node refuses headers longer than the whole request. */
function httpTimeouts(env: Env): HttpTimeouts {
  const headersMs = integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  if (headersMs > requestMs) throw new ConfigError(`HEADERS_TIMEOUT_MS must be at most HTTP_REQUEST_TIMEOUT_MS (${requestMs}), got ${headersMs}`);
  return { headersMs, requestMs, keepAliveMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000) };
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new ConfigError(`${name} must be on or off, got ${JSON.stringify(raw)}`);
}

/** A list `host:port,host:port` (IPv6 hosts in brackets); throws `ConfigError` naming the bad entry. */
function hostPorts(env: Env, name: string): HostPort[] {
  const list = (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError(`${name} must list host:port entries separated by commas, got ${JSON.stringify(env[name])}`);
  return list.map((entry) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new ConfigError(`${name}: ${JSON.stringify(entry)} is not host:port (e.g. redis-1:6379)`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (with REDIS_SENTINEL_NAME), at most one;
 * credentials in the URL for one node, in REDIS_USERNAME, REDIS_PASSWORD and REDIS_TLS otherwise.
 */
function redisTopology(env: Env): RedisTopology | null {
  const given = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].filter((name) => env[name]);
  if (given.length > 1) throw new ConfigError(`set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, got ${given.join(' and ')}`);
  const auth = (): RedisAuth => ({ username: env.REDIS_USERNAME || null, password: env.REDIS_PASSWORD || null, tls: onOff(env, 'REDIS_TLS', false) });
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: hostPorts(env, 'REDIS_CLUSTER_NODES'), auth: auth() };
  if (env.REDIS_SENTINELS) {
    const name = env.REDIS_SENTINEL_NAME ?? '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
      throw new ConfigError(`REDIS_SENTINEL_NAME must name the primary the Sentinels monitor (e.g. mymaster), got ${JSON.stringify(env.REDIS_SENTINEL_NAME)}`);
    return { kind: 'sentinel', sentinels: hostPorts(env, 'REDIS_SENTINELS'), name, auth: auth(), sentinelPassword: env.REDIS_SENTINEL_PASSWORD || null };
  }
  const url = env.REDIS_URL ? urlOf(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) : null;
  if (!url) return null;
  for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS', 'REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD']) {
    if (env[name])
      throw new ConfigError(
        `${name} is for REDIS_CLUSTER_NODES or REDIS_SENTINELS; with REDIS_URL put credentials in the URL (rediss://user:password@host:6380 for TLS)`,
      );
  }
  return { kind: 'single', url };
}

/** The origins allowed by default outside production: Vite's dev server (5173) and preview server (4173), by name and by address. */
export const DEVELOPMENT_CORS_ORIGINS: readonly string[] = ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:4173', 'http://127.0.0.1:4173'];

/**
 * CORS_ORIGINS (a comma-separated list of origins, or `*`), CORS_MAX_AGE_SECONDS and
 * CORS_ALLOWED_HEADERS; throws `ConfigError` naming an entry that is not an origin (a path, a
 * wildcard inside a name, `null`) or not a header name.
 */
function corsConfig(env: Env, production: boolean): CorsConfig {
  const maxAgeSeconds = integer(env, 'CORS_MAX_AGE_SECONDS', 600, 0, 86_400);
  const extraHeaders = (env.CORS_ALLOWED_HEADERS ?? '')
    .split(',')
    .map((header) => header.trim().toLowerCase())
    .filter(Boolean);
  for (const header of extraHeaders) {
    // An HTTP header name is a token (RFC 9110, 5.1).
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/.test(header)) {
      throw new ConfigError(`CORS_ALLOWED_HEADERS: ${JSON.stringify(header)} is not a header name: write names separated by commas, e.g. sentry-trace,baggage`);
    }
  }
  const raw = (env.CORS_ORIGINS ?? '').trim();
  if (raw === '') return { origins: production ? [] : [...DEVELOPMENT_CORS_ORIGINS], maxAgeSeconds, extraHeaders };
  if (raw === '*') return { origins: '*', maxAgeSeconds, extraHeaders };
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const origins = entries.map((entry) => {
    // An origin is scheme://host[:port] and nothing else (no path, credentials or wildcard): what a browser sends in `Origin`.
    let url: URL | null = null;
    try {
      if (/^https?:\/\/[^/?#@\s*]+$/i.test(entry)) url = new URL(entry);
    } catch {
      // reported below
    }
    if (!url) {
      throw new ConfigError(
        `CORS_ORIGINS: ${JSON.stringify(entry)} is not an origin: write scheme://host[:port] with no path or trailing slash, e.g. https://shop.example.com or http://localhost:5173 (or CORS_ORIGINS=* alone for any origin)`,
      );
    }
    return url.origin;
  });
  return { origins: [...new Set(origins)], maxAgeSeconds, extraHeaders };
}

/** TRUSTED_DOCUMENTS: a comma-separated list of manifest paths; null when unset. The files are read when the server starts. */
function trustedDocuments(env: Env): string[] | null {
  const paths = (env.TRUSTED_DOCUMENTS ?? '')
    .split(',')
    .map((path) => path.trim())
    .filter(Boolean);
  return paths.length ? paths : null;
}

/** METRICS_PORT, METRICS_TOKEN and METRICS_MAX_OPERATIONS; throws `ConfigError` on a bad value. */
function metricsConfig(env: Env, apiPort: number): MetricsConfig {
  const port = env.METRICS_PORT === undefined || env.METRICS_PORT === '' ? null : integer(env, 'METRICS_PORT', 0, 0, 65535);
  if (port !== null && port !== 0 && port === apiPort) {
    throw new ConfigError(`METRICS_PORT must differ from PORT (${apiPort}): /metrics gets a port of its own, got ${port}`);
  }
  const token = env.METRICS_TOKEN || null;
  // Sent in a header: visible ASCII only; 16+ characters so that it cannot be guessed.
  if (token !== null && !/^[\x21-\x7e]{16,256}$/.test(token)) {
    throw new ConfigError(
      `METRICS_TOKEN must be 16 to 256 characters, letters, digits or punctuation, no spaces; got ${token.length} characters${/[^\x21-\x7e]/.test(token) ? ' including others' : ''}`,
    );
  }
  return { port, token, maxOperations: integer(env, 'METRICS_MAX_OPERATIONS', 100, 0, 10_000) };
}

/**
 * The database migrations run against: DIRECT_DATABASE_URL when set (a direct
 * connection past a pooler such as PgBouncer), else DATABASE_URL; null when
 * neither is set (the embedded database). Throws `ConfigError` on a URL that
 * is not postgresql:// or postgres://, or on DIRECT_DATABASE_URL without
 * DATABASE_URL.
 */
export function migrationDatabaseUrl(env: Env = process.env): string | null {
  const databaseUrl = urlOf(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/storefront', ['postgresql:', 'postgres:']);
  const direct = urlOf(env, 'DIRECT_DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/storefront', ['postgresql:', 'postgres:']);
  if (direct && !databaseUrl) {
    throw new ConfigError(
      'DIRECT_DATABASE_URL is the direct connection for migrations next to DATABASE_URL (e.g. when DATABASE_URL goes through PgBouncer): set DATABASE_URL too, or unset DIRECT_DATABASE_URL for the embedded database',
    );
  }
  return direct ?? databaseUrl;
}

/** Says which database and cache a configuration uses, without credentials (for start-up logs). */
export function describeBackends(config: Pick<Config, 'databaseUrl' | 'redis' | 'dataDir'>): { database: string; cache: string } {
  const where = (raw: string) => {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}`;
  };
  return {
    database: config.databaseUrl ? `PostgreSQL at ${where(config.databaseUrl)}` : `embedded PostgreSQL (PGlite) in ${config.dataDir} (DATABASE_URL not set)`,
    cache: !config.redis
      ? 'in-process cache store (REDIS_URL not set; one API process only)'
      : config.redis.kind === 'single'
        ? `Redis at ${where(config.redis.url)}`
        : config.redis.kind === 'cluster'
          ? `Redis Cluster via ${config.redis.nodes.map((n) => `${n.host}:${n.port}`).join(',')}${config.redis.auth.tls ? ' (TLS)' : ''}`
          : `Redis primary "${config.redis.name}" via Sentinels ${config.redis.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}${config.redis.auth.tls ? ' (TLS)' : ''}`,
  };
}

/** Reads and validates the configuration; throws `ConfigError` with a clear message. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError(`NODE_ENV must be development, production or test, got ${JSON.stringify(nodeEnv)}`);
  }
  const jwtSecret = env.JWT_SECRET || DEVELOPMENT_JWT_SECRET;
  if (nodeEnv === 'production') {
    if (jwtSecret === DEVELOPMENT_JWT_SECRET) {
      throw new ConfigError('JWT_SECRET must be set in production: the development default is refused');
    }
    if (jwtSecret.length < 32) throw new ConfigError(`JWT_SECRET must be at least 32 characters in production, got ${jwtSecret.length}`);
  }
  const cacheNamespace = env.CACHE_NAMESPACE ?? 'sf:';
  if (!/^[A-Za-z0-9_.:-]{0,64}$/.test(cacheNamespace)) {
    throw new ConfigError(`CACHE_NAMESPACE may only hold letters, digits and _.:- (at most 64), got ${JSON.stringify(cacheNamespace)}`);
  }
  const cacheWritePolicy = env.CACHE_WRITE_POLICY || 'fail';
  if (cacheWritePolicy !== 'fail' && cacheWritePolicy !== 'repair') {
    throw new ConfigError(`CACHE_WRITE_POLICY must be fail or repair, got ${JSON.stringify(cacheWritePolicy)}`);
  }
  const port = integer(env, 'PORT', 4000, 0, 65535);
  const redis = redisTopology(env);
  return {
    nodeEnv,
    databaseUrl: urlOf(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/storefront', ['postgresql:', 'postgres:']),
    directDatabaseUrl: env.DIRECT_DATABASE_URL ? migrationDatabaseUrl(env) : null,
    redisUrl: redis?.kind === 'single' ? redis.url : null,
    redis,
    dataDir: env.DATA_DIR || '.data/pglite',
    port,
    jwtSecret,
    // From 1 s: tests of expiry use a short lifetime.
    jwtTtlSeconds: integer(env, 'JWT_TTL_SECONDS', 7 * 24 * 3600, 1, 365 * 24 * 3600),
    cacheTtlSeconds: integer(env, 'CACHE_TTL_SECONDS', 3600, 1, 30 * 24 * 3600),
    cacheNamespace,
    cacheWritePolicy,
    cacheLeaseMs: integer(env, 'CACHE_LEASE_MS', 5000, 100, 600_000),
    cacheFillLeaseMs: integer(env, 'CACHE_FILL_LEASE_MS', 500, 0, 60_000),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 250, 10, 60_000),
    reconcileIntervalMs: integer(env, 'RECONCILE_INTERVAL_MS', 1000, 50, 600_000),
    outboxReplayAfterMs: integer(env, 'OUTBOX_REPLAY_AFTER_MS', 2000, 0, 3_600_000),
    trustProxy: trustProxy(env),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 102_400, 1024, 10_485_760),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 100, 300_000),
    httpTimeouts: httpTimeouts(env),
    queryLimits: {
      maxDepth: integer(env, 'QUERY_MAX_DEPTH', 10, 2, 100),
      maxAliases: integer(env, 'QUERY_MAX_ALIASES', 15, 0, 1000),
      maxDirectives: integer(env, 'QUERY_MAX_DIRECTIVES', 20, 0, 1000),
      maxTokens: integer(env, 'QUERY_MAX_TOKENS', 1000, 50, 100_000),
      maxCost: integer(env, 'QUERY_MAX_COST', 5000, 10, 10_000_000),
    },
    // Off by default only under NODE_ENV=test, whose many sign-ups come from one address.
    rateLimits: onOff(env, 'RATE_LIMITS', nodeEnv !== 'test')
      ? {
          logInPerIp: rate(env, 'RATE_LIMIT_LOGIN_PER_IP', { points: 100, seconds: 86_400 }),
          logInPerIpAndAccount: rate(env, 'RATE_LIMIT_LOGIN_PER_IP_AND_ACCOUNT', { points: 10, seconds: 3600 }),
          logInPerAccount: rate(env, 'RATE_LIMIT_LOGIN_PER_ACCOUNT', { points: 1000, seconds: 86_400 }),
          signUpPerIp: rate(env, 'RATE_LIMIT_SIGNUP_PER_IP', { points: 20, seconds: 3600 }),
          signUpPerAccount: rate(env, 'RATE_LIMIT_SIGNUP_PER_ACCOUNT', { points: 5, seconds: 3600 }),
          emailChangePerUser: rate(env, 'RATE_LIMIT_EMAIL_CHANGE_PER_USER', { points: 10, seconds: 3600 }),
        }
      : null,
    metrics: metricsConfig(env, port),
    cors: corsConfig(env, nodeEnv === 'production'),
    trustedDocuments: trustedDocuments(env),
  };
}
