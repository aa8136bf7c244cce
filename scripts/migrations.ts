/**
 * Prisma migrations without Prisma's native schema engine.
 *
 * The Prisma CLI (`prisma migrate ...`) needs a native schema-engine binary
 * that cannot be downloaded on our machines. Prisma also publishes the same
 * engine compiled to WebAssembly (`@prisma/schema-engine-wasm`, pinned in
 * package.json to the version matching `prisma`), which talks to the database
 * through a driver adapter instead of its own drivers. This module drives it:
 *
 * - `applyMigrations` is `prisma migrate deploy`: it applies the pending
 *   folders of `prisma/migrations` and records them in `_prisma_migrations`
 *   exactly as the CLI does (same table, same sha256 checksums), so a machine
 *   with the native engine sees the same history.
 * - `createMigration` is `prisma migrate dev --create-only`: it diffs the
 *   schema produced by the existing migrations (replayed on a temporary
 *   "shadow" database) against `prisma/schema.prisma` and writes the SQL into
 *   a new `prisma/migrations/<timestamp>_<name>/migration.sql`.
 *
 * See docs/prisma-offline.md for how the pieces fit. Two defects of
 * `@prisma/adapter-pg` 7.10 are worked around here (see `createPool` and
 * `createAdapterFactory`):
 *
 * 1. Its `connectToShadowDb()` spreads `{ ...config, database }` over a config
 *    that holds a `connectionString`; `pg` lets the connection string win, so
 *    the "shadow" connection silently points at the MAIN database and the
 *    engine replays every migration there. We create the shadow database
 *    ourselves and connect to it with a rewritten URL.
 * 2. It cannot decode PostgreSQL's internal one-byte type `"char"` (OID 18),
 *    which the engine's schema describer selects from `pg_constraint`, so any
 *    introspection (needed for a diff from migrations) fails with
 *    "Column type 'char' could not be deserialized from the database". The
 *    describer then reads that column (`contype`, 'c' for CHECK) as a Rust
 *    `char`, and panics if it comes as text. We report such columns to the
 *    engine as `ColumnType.Character` (see `CharColumns`).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
} from '@prisma/driver-adapter-utils';
import type * as SchemaEngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { DiffTarget, MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

export interface ApplyMigrationsOptions {
  /** PostgreSQL connection URL of the database to migrate. */
  databaseUrl?: string;
  /**
   * Or a migration-aware driver adapter to migrate through instead of a URL
   * (the embedded PGlite database). The caller owns and closes it.
   */
  adapter?: SqlMigrationAwareDriverAdapterFactory;
  /** Create the database named in the URL if it does not exist. @default true */
  createDatabase?: boolean;
  /** Receives human-readable progress lines (and engine warnings). */
  log?: (line: string) => void;
}

export interface CreateMigrationOptions {
  /**
   * PostgreSQL connection URL. Only the server is really used: a temporary
   * shadow database is created next to the named database (which is created
   * if missing, as `prisma migrate dev` does) and dropped afterwards.
   */
  databaseUrl: string;
  /** Migration name; normalised like Prisma does (`add user index` -> `add_user_index`). */
  name: string;
}

/** Any failure of this module, with a message meant for a human. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies the pending migrations of `prisma/migrations`, like
 * `prisma migrate deploy`, and returns the names of those it applied (empty
 * when the database was already up to date).
 */
export async function applyMigrations(options: ApplyMigrationsOptions): Promise<{ applied: string[] }> {
  const { databaseUrl, adapter, createDatabase = true, log = () => {} } = options;
  if (!databaseUrl === !adapter) throw new MigrationError('applyMigrations needs either a databaseUrl or an adapter');
  const paths = projectPaths();
  if (databaseUrl) await ensureDatabase(databaseUrl, { create: createDatabase, log });

  const migrationsList = await readMigrationsList(paths.migrationsDir);
  const onDisk = migrationsList.migrationDirectories.length;
  log(`${onDisk} migration${onDisk === 1 ? '' : 's'} found in ${path.relative(paths.root, paths.migrationsDir)}`);
  if (onDisk === 0) return { applied: [] };

  const applied = await withEngine(databaseUrl ?? adapter!, log, async (engine) => {
    const output = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    // `prisma migrate deploy` says nothing about applied migrations whose file
    // changed since; `migrate status` would. Warn, since it means drift.
    // The migrations are applied by now: a failure here is only worth a warning.
    try {
      const diagnosis = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS });
      for (const name of diagnosis.editedMigrationNames) {
        log(`Warning: migration ${name} was modified after it was applied (its checksum differs from _prisma_migrations)`);
      }
    } catch (error) {
      log(`Warning: could not check for modified migrations: ${engineErrorMessage(error)}`);
    }
    return output.appliedMigrationNames;
  });
  for (const name of applied) log(`Applied migration ${name}`);
  return { applied };
}

/**
 * Writes a new migration with the SQL that takes a database from the state
 * of the existing migrations to `prisma/schema.prisma`. Returns the new
 * folder's name (`<yyyyMMddHHmmss>_<name>`), or null when there is nothing to
 * migrate (no folder is written then).
 */
export async function createMigration(options: CreateMigrationOptions): Promise<string | null> {
  const { databaseUrl } = options;
  const slug = migrationSlug(options.name);
  const paths = projectPaths();
  const schema = await readFile(paths.schema, 'utf8');
  const migrationsList = await readMigrationsList(paths.migrationsDir);

  // With no migrations yet there is nothing to replay: diff from an empty
  // database, which needs no shadow database. Otherwise the engine replays
  // the migrations on a shadow database and introspects it. The engine
  // insists on a lockfile to pick its connector; a missing one is written
  // below, with this same content.
  const from: DiffTarget =
    migrationsList.migrationDirectories.length === 0
      ? { tag: 'empty' }
      : { tag: 'migrations', ...migrationsList, lockfile: { ...migrationsList.lockfile, content: migrationsList.lockfile.content ?? LOCKFILE_CONTENT } };
  // The engine connects to the named database on start, and the shadow
  // database is created from it: make sure it exists, as `migrate dev` does.
  await ensureDatabase(databaseUrl, { create: true, log: () => {} });

  const script = await withEngine(
    databaseUrl,
    () => {},
    async (engine) => {
      const result = await engine.diff({
        from,
        to: { tag: 'schemaDatamodel', files: [{ path: paths.schema, content: schema }] },
        script: true,
        exitCode: null,
        filters: NO_FILTERS,
      });
      return result.stdout ?? '';
    },
  );
  // An empty diff renders as "-- This is an empty migration." and nothing else.
  if (!hasSqlStatements(script)) return null;

  const folder = `${utcTimestamp(new Date())}_${slug}`;
  const folderPath = path.join(paths.migrationsDir, folder);
  if (existsSync(folderPath)) throw new MigrationError(`The migration directory already exists at ${folderPath}`);
  await mkdir(folderPath, { recursive: true });
  await writeFile(path.join(folderPath, 'migration.sql'), script, 'utf8');
  const lockfilePath = path.join(paths.migrationsDir, LOCKFILE_NAME);
  if (!existsSync(lockfilePath)) await writeFile(lockfilePath, LOCKFILE_CONTENT, 'utf8');
  return folder;
}

/**
 * Where the Prisma files are: the project root is the nearest ancestor of
 * this module holding `prisma/schema.prisma`, so this works from `src/db/`
 * (tsx) and from a compiled `dist/src/db/` alike.
 */
export function projectPaths(): { root: string; schema: string; migrationsDir: string } {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const schema = path.join(dir, 'prisma', 'schema.prisma');
    if (existsSync(schema)) return { root: dir, schema, migrationsDir: path.join(dir, 'prisma', 'migrations') };
    if (path.dirname(dir) === dir) {
      throw new MigrationError(`No prisma/schema.prisma found in ${start} or any folder above it`);
    }
  }
}

// ---------------------------------------------------------------------------
// Migrations folder (Prisma's standard layout)
// ---------------------------------------------------------------------------

const LOCKFILE_NAME = 'migration_lock.toml';
/** Byte for byte what the Prisma CLI writes. */
const LOCKFILE_CONTENT = `# Please do not edit this file manually
# It should be added in your version-control system (e.g., Git)
provider = "postgresql"
`;
const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

/**
 * Loads the migrations folder the way the Prisma CLI does before handing it
 * to the engine: every sub-folder is a migration, sorted by name, with its
 * `migration.sql` (an unreadable file is passed as an error for the engine
 * to report). A missing folder is an empty history.
 */
async function readMigrationsList(baseDir: string): Promise<MigrationList> {
  const lockfileContent = await readFile(path.join(baseDir, LOCKFILE_NAME), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  folders.sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    folders.map(async (folder) => {
      const content = await readFile(path.join(baseDir, folder, 'migration.sql'), 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (error: Error) => ({ tag: 'error' as const, value: error.message }),
      );
      return { path: folder, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  return {
    baseDir,
    lockfile: { path: LOCKFILE_NAME, content: lockfileContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** `Add user-index!` -> `add_user_index`: lower case letters, digits and `_`, at most 200. */
function migrationSlug(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (slug === '') throw new MigrationError(`Invalid migration name ${JSON.stringify(name)}: use letters, digits and _`);
  return slug;
}

/** `yyyyMMddHHmmss` in UTC, the prefix Prisma gives migration folders. */
function utcTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

/** True if the script holds anything besides `--` comments and blank space. */
function hasSqlStatements(script: string): boolean {
  return script.split('\n').some((line) => {
    const trimmed = line.trim();
    return trimmed !== '' && !trimmed.startsWith('--');
  });
}

// ---------------------------------------------------------------------------
// The WebAssembly schema engine
// ---------------------------------------------------------------------------

/** The glue module (`schema_engine_bg.js`) has types; the raw instance does not. */
type SchemaEngineModule = typeof SchemaEngineGlue;
interface SchemaEngineWasmExports {
  /** wasm-bindgen's start function: must run once after `__wbg_set_wasm`. */
  __wbindgen_start(): void;
}
/** The slice of the `WebAssembly` global we use (the project's `lib` has no DOM/WebAssembly types). */
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: object } }>;
}

let engineModule: Promise<SchemaEngineModule> | undefined;

/**
 * Loads and instantiates the engine once per process, on first use. The
 * package's main entry imports the `.wasm` file as an ES module, which Node
 * refuses, so the JS glue is imported alone and the `.wasm` beside it is
 * instantiated by hand with the glue as its import object.
 */
function loadSchemaEngine(): Promise<SchemaEngineModule> {
  engineModule ??= (async () => {
    const glue: SchemaEngineModule = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    // createRequire rather than import.meta.resolve: the latter is missing under Vitest's module runner.
    const wasmPath = path.join(path.dirname(createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
    // The engine arms timers (e.g. the 10 s timeout around its advisory lock)
    // through the glue's `__wbg_setTimeout_<hash>` import and never clears
    // them, which kept every process alive 10 s after its migrations. Its
    // timers are handed over unref'd; `withEngine` holds the event loop open
    // itself while the engine works, so none of them can be cut short.
    const imports: Record<string, unknown> = { ...glue };
    for (const key of Object.keys(glue)) {
      if (key.startsWith('__wbg_setTimeout_')) {
        imports[key] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
      }
    }
    installPanicRegistry();
    const { WebAssembly } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as unknown as SchemaEngineWasmExports).__wbindgen_start();
    return glue;
  })().catch((error: unknown) => {
    engineModule = undefined; // let a later call retry
    throw new MigrationError(`Could not load @prisma/schema-engine-wasm: ${errorMessage(error)}`, { cause: error });
  });
  return engineModule;
}

/**
 * A Rust panic in the engine calls `PRISMA_WASM_PANIC_REGISTRY.set_message`
 * on the global object (set up by Prisma's own CLI and Client; without it the
 * panic dies with "Cannot read properties of undefined"). The panic itself
 * then surfaces as an uncaught `RuntimeError: unreachable` from a microtask,
 * which no caller can catch, so its message is at least written to stderr.
 * A registry already installed (by Prisma Client) is left in place.
 */
function installPanicRegistry(): void {
  const holder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
  holder.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      console.error(`Prisma schema engine panicked: ${message}`);
    },
  };
}

/**
 * Runs `work` with a fresh engine connected to `databaseUrl`, then frees the
 * engine and closes every connection pool and shadow database it opened.
 * Engine errors are rethrown as `MigrationError` without the Rust backtrace.
 */
async function withEngine<T>(
  target: string | SqlMigrationAwareDriverAdapterFactory,
  log: (line: string) => void,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadSchemaEngine();
  const resources = new Resources();
  const keepAlive = setInterval(() => {}, 60_000); // see the unref'd timers in `loadSchemaEngine`
  let engine: SchemaEngine | undefined;
  try {
    const factory = bindMigrationAwareSqlAdapterFactory(typeof target === 'string' ? createAdapterFactory(target, resources) : target);
    // The engine needs no datamodel for diff/apply: both get their inputs as parameters.
    engine = await SchemaEngine.new({ datamodels: undefined }, engineLogger(log), factory);
    return await work(engine);
  } catch (error) {
    throw error instanceof MigrationError ? error : new MigrationError(engineErrorMessage(error), { cause: error });
  } finally {
    engine?.free();
    for (const failure of await resources.close()) log(`Warning: cleaning up after the schema engine failed: ${failure}`);
    clearInterval(keepAlive);
  }
}

/**
 * The engine logs JSON lines (`{"level":"INFO","fields":{"message":...}}`).
 * Only warnings and errors are worth showing a person.
 */
function engineLogger(log: (line: string) => void): (line: string) => void {
  return (line: string) => {
    try {
      const event = JSON.parse(line) as { level?: string; fields?: { message?: unknown } };
      if (event.level === 'WARN' || event.level === 'ERROR') log(`schema engine ${event.level.toLowerCase()}: ${String(event.fields?.message ?? line)}`);
    } catch {
      log(`schema engine: ${line.trim()}`);
    }
  };
}

/**
 * The engine's message without its `0: schema_engine_wasm::...` backtrace,
 * but with the migration it names there (`with migration_name="..."`) and
 * its Prisma error code, if any.
 */
function engineErrorMessage(error: unknown): string {
  const full = errorMessage(error);
  const backtrace = full.search(/\n\s+0: /);
  let message = (backtrace === -1 ? full : full.slice(0, backtrace)).trim();
  const migration = /migration_name="([^"]+)"/.exec(full)?.[1];
  if (migration !== undefined && !message.includes(migration)) message = `Migration ${migration} failed: ${message}`;
  const code = pgErrorCode(error);
  return code === undefined ? message : `${message} [${code}]`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// Driver adapter for the engine
// ---------------------------------------------------------------------------

/**
 * Pools and shadow databases opened for one engine run, closed at its end.
 * The engine disposes of a shadow adapter without awaiting it, so cleanups
 * are memoised promises that `close` can await too (racing them left a
 * shadow database behind: DROP ran while its pool was still ending).
 */
class Resources {
  private readonly pools = new Map<pg.Pool, Promise<void> | null>(); // pool -> its ending, once started
  private readonly shadowCleanups = new Set<() => Promise<void>>();

  pool(connectionString: string): pg.Pool {
    const pool = createPool(connectionString);
    this.pools.set(pool, null);
    return pool;
  }

  endPool(pool: pg.Pool): Promise<void> {
    let ending = this.pools.get(pool);
    if (ending === undefined) return Promise.resolve(); // not ours
    if (ending === null) {
      ending = pool.end();
      this.pools.set(pool, ending);
    }
    return ending;
  }

  /** Registers a shadow database; the returned cleanup ends its pool, then drops it, once. */
  shadow(name: string, pool: pg.Pool, adminUrl: string): () => Promise<void> {
    let done: Promise<void> | undefined;
    const cleanup = () =>
      (done ??= (async () => {
        await this.endPool(pool);
        await runOnce(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
      })());
    this.shadowCleanups.add(cleanup);
    return cleanup;
  }

  /** Best effort: drops the shadow databases (ending their pools), then ends every other pool; returns what failed. */
  async close(): Promise<string[]> {
    const results = [
      ...(await Promise.allSettled([...this.shadowCleanups].map((cleanup) => cleanup()))),
      ...(await Promise.allSettled([...this.pools.keys()].map((pool) => this.endPool(pool)))),
    ];
    return results.flatMap((result) => (result.status === 'rejected' ? [errorMessage(result.reason)] : []));
  }
}

/**
 * Runs a migration script as one simple-protocol query, as `psql` and Prisma's
 * native engine do. `@prisma/adapter-pg` 7.10 splits it on every ";" (inside
 * strings, comments and function bodies too), which breaks any migration that
 * creates a PL/pgSQL function (the change-capture triggers).
 */
function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const driver = (adapter as unknown as { underlyingDriver(): pg.Pool | pg.PoolClient }).underlyingDriver();
  adapter.executeScript = async (script: string) => {
    await driver.query(script);
  };
  return adapter;
}

/**
 * A migration-aware adapter factory for the engine: `connect` is the adapter
 * of `@prisma/adapter-pg` on our own pool; `connectToShadowDb` creates
 * `prisma_migrate_shadow_db_<uuid>` on the same server, connects to it by a
 * rewritten URL (defect 1 in the header), and drops it on dispose.
 */
function createAdapterFactory(databaseUrl: string, resources: Resources): SqlMigrationAwareDriverAdapterFactory {
  const main = new PrismaPg(resources.pool(databaseUrl));
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => wholeScripts(CharColumns.reportToEngine(await main.connect())),
    connectToShadowDb: async (): Promise<SqlDriverAdapter> => {
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      await runOnce(databaseUrl, `CREATE DATABASE ${quoteIdentifier(name)}`);
      const pool = resources.pool(withDatabase(databaseUrl, name));
      const cleanup = resources.shadow(name, pool, databaseUrl);
      const adapter = wholeScripts(CharColumns.reportToEngine(await new PrismaPg(pool).connect()));
      const disposeAdapter = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await disposeAdapter();
        await cleanup();
      };
      return adapter;
    },
  };
}

/**
 * A `pg` pool for the engine: `"char"` columns are made readable (defect 2
 * in the header, see `CharColumns`) on pool-level queries and on checked-out
 * clients (transactions) alike; idle connections are never closed early, so
 * the engine's session-level advisory lock is held until we end the pool.
 */
function createPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, idleTimeoutMillis: 0, connectionTimeoutMillis: 10_000 });
  CharColumns.relabelInDriver(pool);
  pool.on('connect', (client) => CharColumns.relabelInDriver(client));
  pool.on('error', () => {}); // an idle connection dropped by the server: the next query reports it
  return pool;
}

/**
 * PostgreSQL's one-byte `"char"` columns, in two steps:
 * 1. in the `pg` driver, their fields are relabelled as `text` (their value
 *    is a one-character string), so `@prisma/adapter-pg` accepts them, and
 *    their positions are remembered against the result's `rows` array;
 * 2. in the adapter, `queryRaw` results with the same `rows` array (the
 *    adapter passes it through) get those columns typed `Character`, which
 *    is what the engine reads them as.
 */
const CharColumns = {
  PG_CHAR_OID: 18,
  PG_TEXT_OID: 25,
  byRows: new WeakMap<object, number[]>(),

  /** Step 1: wraps `target.query`; only its promise form, the one the adapter uses, is touched. */
  relabelInDriver(target: pg.Pool | pg.PoolClient): void {
    type Query = (...args: unknown[]) => unknown;
    const holder = target as unknown as { query: Query };
    const original = holder.query.bind(target);
    holder.query = (...args: unknown[]) => {
      const result = original(...args);
      if (!(result instanceof Promise)) return result; // callback or submittable form
      return result.then((value: unknown) => {
        const { fields, rows } = (value ?? {}) as Partial<pg.QueryResult>;
        const positions: number[] = [];
        fields?.forEach((field, index) => {
          if (field.dataTypeID === CharColumns.PG_CHAR_OID) {
            field.dataTypeID = CharColumns.PG_TEXT_OID;
            positions.push(index);
          }
        });
        if (positions.length > 0 && rows) CharColumns.byRows.set(rows, positions);
        return value;
      });
    };
  },

  /** Step 2: wraps `queryRaw` of the adapter and of the transactions it starts. */
  reportToEngine<T extends SqlDriverAdapter>(adapter: T): T {
    const retype = (queryable: SqlQueryable) => {
      const queryRaw = queryable.queryRaw.bind(queryable);
      queryable.queryRaw = async (query) => {
        const resultSet = await queryRaw(query);
        for (const index of CharColumns.byRows.get(resultSet.rows) ?? []) {
          resultSet.columnTypes[index] = ColumnTypeEnum.Character;
        }
        return resultSet;
      };
    };
    retype(adapter);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const transaction = await startTransaction(isolationLevel);
      retype(transaction);
      return transaction;
    };
    return adapter;
  },
};

// ---------------------------------------------------------------------------
// Plain `pg` helpers: reaching the server, creating the database
// ---------------------------------------------------------------------------

/** Where a URL points, as `pg` resolves it (defaults included); rejects anything but a postgres URL. */
function describeTarget(databaseUrl: string): { host: string; port: number; database: string; user: string } {
  let protocol: string;
  try {
    protocol = new URL(databaseUrl).protocol;
  } catch {
    throw new MigrationError('The database URL is not a URL: expected postgresql://user@host:port/database');
  }
  if (protocol !== 'postgresql:' && protocol !== 'postgres:') {
    throw new MigrationError(`The database URL must start with postgresql:// or postgres://, got ${protocol}//`);
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  return { host: client.host, port: client.port, database: client.database ?? client.user ?? '', user: client.user ?? '' };
}

/** The same URL pointing at another database of the same server. */
function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs one statement on a short-lived connection. */
async function runOnce(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Checks that the database in the URL can be reached. If it does not exist
 * (`3D000`) and `create` is set, creates it from the `postgres` database of
 * the same server; losing a race to a concurrent creator is fine.
 * Connection failures become a `MigrationError` naming the host and port.
 */
async function ensureDatabase(databaseUrl: string, options: { create: boolean; log: (line: string) => void }): Promise<void> {
  const target = describeTarget(databaseUrl);
  const where = `${target.host}:${target.port}`;
  try {
    await runOnce(databaseUrl, 'SELECT 1');
    return;
  } catch (error) {
    if (pgErrorCode(error) !== '3D000') throw connectionError(error, target.database, where);
    if (!options.create) throw new MigrationError(`Database "${target.database}" does not exist on ${where}`, { cause: error });
  }
  try {
    await runOnce(withDatabase(databaseUrl, 'postgres'), `CREATE DATABASE ${quoteIdentifier(target.database)}`);
    options.log(`Created database "${target.database}" on ${where}`);
  } catch (error) {
    // Created concurrently by someone else: 42P04 (duplicate_database), or
    // 23505 on pg_database's unique index when both CREATEs ran at once.
    const code = pgErrorCode(error);
    if (code === '42P04' || code === '23505') return;
    throw connectionError(error, target.database, where, 'create');
  }
}

function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function connectionError(error: unknown, database: string, where: string, action: 'connect to' | 'create' = 'connect to'): MigrationError {
  const code = pgErrorCode(error);
  const detail = errorMessage(error) || code || 'unknown error';
  const hint =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /timeout/i.test(detail)
      ? ` (is PostgreSQL running and reachable at ${where}?)`
      : '';
  return new MigrationError(`Cannot ${action} database "${database}" on ${where}: ${detail}${hint}`, { cause: error });
}
