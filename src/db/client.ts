/**
 * The database connection, behind one small factory: the rest of the code
 * gets a Prisma Client and never sees how it connects. With a URL, PostgreSQL
 * through the `pg` driver adapter; without one, an embedded PostgreSQL
 * (PGlite, the same engine compiled to WebAssembly) keeping its files in a
 * local folder, with the same schema and migrations. Only one process at a
 * time may open that folder: it is locked first (src/db/lock.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { logger } from '../logger.js';
import { describeHolder, lockDataDir, type DataDirLock, type LockHolder } from './lock.js';

export { DataDirLockedError, describeHolder, type LockHolder } from './lock.js';

/** How to connect: see `createPrismaClient`. */
export interface DatabaseOptions {
  /** PostgreSQL connection URL, or null for the embedded database in `dataDir`. */
  databaseUrl: string | null;
  /** Folder of the embedded database. @default ".data/pglite" */
  dataDir?: string;
  /** Connections in the pool (PostgreSQL only). @default 10 */
  poolSize?: number;
  /** Called with every SQL statement Prisma sends (for counters and tests). */
  onQuery?: (sql: string) => void;
  /** Embedded only: called when the folder's lock of a dead process was taken over (see `embeddedDatabase`). @default a warning in the log */
  onTakeOver?: (holder: LockHolder) => void;
}

/** The embedded databases open in this process, by absolute folder, each with its lock and its open Prisma Clients. */
const embedded = new Map<string, { db: PGlite; lock: DataDirLock; clients: number }>();

/**
 * The embedded database of a folder (created if missing): one per process,
 * shared by every client and by migrations. The first call locks the folder
 * for this process (src/db/lock.ts) before PGlite touches a file; a folder
 * locked by another live process throws `DataDirLockedError` (naming it), and
 * a dead process's lock is taken over (`onTakeOver` is told whose).
 * `closeEmbeddedDatabase` closes it and releases the lock.
 */
export function embeddedDatabase(dataDir = '.data/pglite', onTakeOver?: (holder: LockHolder) => void): PGlite {
  const key = path.resolve(dataDir);
  let open = embedded.get(key);
  if (!open) {
    mkdirSync(dataDir, { recursive: true });
    const lock = lockDataDir(dataDir);
    if (lock.tookOverFrom) onTakeOver?.(lock.tookOverFrom);
    try {
      // pg_trgm: the catalog's search index (migration catalog_search) needs it, and PGlite
      // can only CREATE EXTENSION what its constructor loaded.
      open = { db: new PGlite(dataDir, { extensions: { pg_trgm } }), lock, clients: 0 };
    } catch (error) {
      lock.release();
      throw error;
    }
    embedded.set(key, open);
  }
  return open.db;
}

/**
 * Closes the embedded database of a folder, if open in this process, then
 * releases its lock. Closing also stops PGlite's timers (PostgreSQL's idle
 * statistics timeout, 10 s), which would otherwise keep the process alive.
 */
export async function closeEmbeddedDatabase(dataDir = '.data/pglite'): Promise<void> {
  const key = path.resolve(dataDir);
  const open = embedded.get(key);
  if (!open) return;
  embedded.delete(key);
  try {
    await open.db.close();
  } finally {
    open.lock.release();
  }
}

/**
 * Creates a Prisma Client for PostgreSQL, or for the embedded database when
 * there is no URL: that opens and locks it (throws `DataDirLockedError` if
 * another live process has it open; logs a warning when it takes over a dead
 * one's lock, unless `onTakeOver` is given), and the `$disconnect` of the
 * last of its clients in this process closes it and releases the lock, so
 * the process can exit.
 */
export function createPrismaClient({ databaseUrl, dataDir = '.data/pglite', poolSize = 10, onQuery, onTakeOver }: DatabaseOptions): PrismaClient {
  if (databaseUrl) return prismaClient(new PrismaPg({ connectionString: databaseUrl, max: poolSize }), onQuery);
  const tookOver = onTakeOver ?? ((holder) => logger.warn(`took over the lock of ${dataDir} from ${describeHolder(holder)}: it is no longer running`));
  const db = embeddedDatabase(dataDir, tookOver);
  const open = embedded.get(path.resolve(dataDir))!;
  open.clients++;
  const client = prismaClient(new PrismaPGlite(db), onQuery);
  const disconnect = client.$disconnect.bind(client);
  let counted = true;
  client.$disconnect = async () => {
    await disconnect();
    if (!counted) return;
    counted = false;
    // The last client out closes the database, unless it was closed (or reopened) meanwhile.
    if (--open.clients === 0 && embedded.get(path.resolve(dataDir)) === open) await closeEmbeddedDatabase(dataDir);
  };
  return client;
}

function prismaClient(adapter: PrismaPg | PrismaPGlite, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (event) => onQuery(event.query));
  return client;
}
