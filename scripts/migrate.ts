/**
 * Database migrations without Prisma's native schema engine (see
 * scripts/migrations.ts for how).
 *
 *   npx tsx scripts/migrate.ts deploy          apply pending migrations (like `prisma migrate deploy`)
 *   npx tsx scripts/migrate.ts create <name>   write a migration for schema changes (like `prisma migrate dev --create-only`)
 *
 * The database is DATABASE_URL (read from the environment or .env); without
 * it, `deploy` migrates the embedded database in DATA_DIR (.data/pglite), as
 * the API uses then (refused at once, naming the holder, while another
 * process such as the API has that folder open: src/db/lock.ts). `deploy`
 * creates the database if it does not exist.
 * `create` needs a PostgreSQL server: DATABASE_URL, by default
 * postgresql://postgres@127.0.0.1:5432/storefront. Both use
 * DIRECT_DATABASE_URL instead when it is set: a direct connection for when
 * DATABASE_URL goes through PgBouncer in transaction mode, which cannot hold
 * the engine's session-level advisory lock (src/config.ts,
 * `migrationDatabaseUrl`). Exits 1 on any failure, 2 on bad usage.
 */
import path from 'node:path';
import dotenv from 'dotenv';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { ConfigError, migrationDatabaseUrl } from '../src/config.js';
import { DataDirLockedError, closeEmbeddedDatabase, describeHolder, embeddedDatabase, type LockHolder } from '../src/db/client.js';
import { MigrationError, applyMigrations, createMigration, projectPaths } from './migrations.js';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/storefront';
const USAGE = `Usage:
  npx tsx scripts/migrate.ts deploy          apply pending migrations to DIRECT_DATABASE_URL, else DATABASE_URL
  npx tsx scripts/migrate.ts create <name>   create prisma/migrations/<timestamp>_<name> from schema changes`;

/** The URL without its password, for messages. */
function redact(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

async function main(argv: string[]): Promise<number> {
  dotenv.config({ quiet: true });
  // DIRECT_DATABASE_URL when set (past PgBouncer), else DATABASE_URL; validated as the API does.
  const databaseUrl = migrationDatabaseUrl(process.env) ?? DEFAULT_DATABASE_URL;
  const through = process.env.DIRECT_DATABASE_URL ? ' (DIRECT_DATABASE_URL)' : '';
  const [command, ...rest] = argv;

  if (command === 'deploy' && rest.length === 0) {
    const dataDir = process.env.DATA_DIR || '.data/pglite';
    const embedded = !process.env.DATABASE_URL;
    console.log(`Applying migrations to ${embedded ? `the embedded database in ${dataDir} (DATABASE_URL not set)` : `${redact(databaseUrl)}${through}`}`);
    const log = (line: string) => console.log(`  ${line}`);
    const tookOver = (holder: LockHolder) => log(`Took over the lock of ${describeHolder(holder)}: it is no longer running`);
    const { applied } = embedded
      ? await applyMigrations({ adapter: new PrismaPGlite(embeddedDatabase(dataDir, tookOver)), log }).finally(() => closeEmbeddedDatabase(dataDir))
      : await applyMigrations({ databaseUrl, log });
    console.log(
      applied.length === 0 ? 'No pending migrations: the database is up to date.' : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}.`,
    );
    return 0;
  }

  if (command === 'create' && rest.length === 1 && rest[0]) {
    const folder = await createMigration({ databaseUrl, name: rest[0] });
    if (folder === null) {
      console.log('No changes: prisma/schema.prisma matches the existing migrations; nothing was written.');
    } else {
      const { root, migrationsDir } = projectPaths();
      console.log(`Created ${path.relative(root, path.join(migrationsDir, folder, 'migration.sql'))}`);
    }
    return 0;
  }

  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  console.error(`migrate: unknown or incomplete command: ${argv.join(' ')}\n${USAGE}`);
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // MigrationError messages are written for people; anything else is a bug, so keep its stack.
  const message =
    error instanceof MigrationError || error instanceof DataDirLockedError || error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  console.error(`migrate: ${message}`);
  process.exitCode = 1;
}
