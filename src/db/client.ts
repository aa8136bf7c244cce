/**
 * The database connection, behind one small factory: the rest of the code
 * gets a Prisma Client and never sees how it connects. With a URL, PostgreSQL
 * through the `pg` driver adapter; without one, an embedded PostgreSQL
 * (PGlite, the same engine compiled to WebAssembly) keeping its files in a
 * local folder, with the same schema and migrations.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';

export interface DatabaseOptions {
  /** PostgreSQL connection URL, or null for the embedded database in `dataDir`. */
  databaseUrl: string | null;
  /** Folder of the embedded database. @default ".data/pglite" */
  dataDir?: string;
  /** Connections in the pool (PostgreSQL only). @default 10 */
  poolSize?: number;
  /** Called with every SQL statement Prisma sends (for counters and tests). */
  onQuery?: (sql: string) => void;
}

/** The embedded database of a folder: one per process, shared by every client and by migrations. */
const embedded = new Map<string, PGlite>();
export function embeddedDatabase(dataDir = '.data/pglite'): PGlite {
  let db = embedded.get(dataDir);
  if (!db) {
    mkdirSync(dataDir, { recursive: true });
    embedded.set(dataDir, (db = new PGlite(dataDir)));
  }
  return db;
}

/** Closes the embedded database of a folder, if open. */
export async function closeEmbeddedDatabase(dataDir = '.data/pglite'): Promise<void> {
  const db = embedded.get(dataDir);
  embedded.delete(dataDir);
  await db?.close();
}

/** Creates a Prisma Client for PostgreSQL, or for the embedded database when there is no URL. */
export function createPrismaClient({ databaseUrl, dataDir, poolSize = 10, onQuery }: DatabaseOptions): PrismaClient {
  const adapter = databaseUrl ? new PrismaPg({ connectionString: databaseUrl, max: poolSize }) : new PrismaPGlite(embeddedDatabase(dataDir));
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (event) => onQuery(event.query));
  return client;
}
