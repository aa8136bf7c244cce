/**
 * Configuration from the environment, validated once at start with messages
 * that say what was expected and what was received.
 */

/** The development signing secret: refused when NODE_ENV=production. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-do-not-use-in-production';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  /** PostgreSQL connection URL. */
  databaseUrl: string;
  /** Redis connection URL. */
  redisUrl: string;
  /** HTTP port; 0 picks a free one. @default 4000 */
  port: number;
  /** Secret used to sign bearer tokens (HS256); at least 32 characters in production. */
  jwtSecret: string;
  /** Lifetime of a bearer token, in seconds. @default 604800 (7 days) */
  jwtTtlSeconds: number;
  /** Time to live of cache entries, in seconds. @default 3600 */
  cacheTtlSeconds: number;
  /** Prefix of every Redis key this API writes. @default "sf:" */
  cacheNamespace: string;
  /** What a mutation does when Redis cannot take part: refuse (`fail`) or commit and repair later. @default "fail" */
  cacheWritePolicy: 'fail' | 'repair';
  /** How long a write's lease on its cache keys lives if the writer dies, in ms. @default 5000 */
  cacheLeaseMs: number;
  /** How long one Redis command may take before it counts as failed, in ms. @default 250 */
  redisCommandTimeoutMs: number;
  /** How often the reconciler replays the outbox, in ms. @default 1000 */
  reconcileIntervalMs: number;
  /** Outbox rows younger than this are left to their writer, in ms. @default 2000 */
  outboxReplayAfterMs: number;
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

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = env[name] || fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${fallback}, got ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${parsed.protocol}//`);
  }
  return raw;
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
  return {
    nodeEnv,
    databaseUrl: url(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/storefront', ['postgresql:', 'postgres:']),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    port: integer(env, 'PORT', 4000, 0, 65535),
    jwtSecret,
    jwtTtlSeconds: integer(env, 'JWT_TTL_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    cacheTtlSeconds: integer(env, 'CACHE_TTL_SECONDS', 3600, 1, 30 * 24 * 3600),
    cacheNamespace,
    cacheWritePolicy,
    cacheLeaseMs: integer(env, 'CACHE_LEASE_MS', 5000, 100, 600_000),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 250, 10, 60_000),
    reconcileIntervalMs: integer(env, 'RECONCILE_INTERVAL_MS', 1000, 50, 600_000),
    outboxReplayAfterMs: integer(env, 'OUTBOX_REPLAY_AFTER_MS', 2000, 0, 3_600_000),
  };
}
