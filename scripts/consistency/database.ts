/**
 * The run's own PostgreSQL database: `consistency_<random>` (or another
 * prefix, e.g. the benchmark's `bench_<random>`), created and migrated with
 * the project's `applyMigrations`, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../migrations.js';

export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432';

/** TIMESTAMP WITHOUT TIME ZONE holds UTC here (Prisma's convention): read it as UTC, as an ISO string like the cache's JSON. */
const TIMESTAMP = 1114;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`).toISOString()
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface RunDatabase {
  name: string;
  url: string;
  /** A small pool on the run's database (setup and the divergence check). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface RunDatabaseOptions {
  /** Name prefix: the database is `<prefix>_<random>`. @default 'consistency' */
  prefix?: string;
  /** Connections in `pool`. @default 4 */
  poolSize?: number;
}

export async function createRunDatabase(serverUrl = DEFAULT_POSTGRES_URL, options: RunDatabaseOptions = {}): Promise<RunDatabase> {
  const name = `${options.prefix ?? 'consistency'}_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  let created = false;
  const drop = async () => {
    if (!created) return;
    created = false;
    await pool.end().catch(() => {});
    const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres'), connectionTimeoutMillis: 10_000 });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 4, types });
  // An idle connection's error is emitted by the pool, uncaught without a listener. pool.end() does not wait for its
  // connections to close, so the DROP ... WITH (FORCE) below can terminate one still closing (57P01): harmless.
  pool.on('error', () => {});
  try {
    created = true; // from here on, drop() must run even if the migration fails halfway
    await applyMigrations({ databaseUrl: url, createDatabase: true });
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { name, url, pool, drop };
}
