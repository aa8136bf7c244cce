/**
 * The database connection, behind one small factory: the rest of the code
 * gets a Prisma Client and never sees how it connects.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export interface DatabaseOptions {
  /** PostgreSQL connection URL. */
  databaseUrl: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** Called with every SQL statement Prisma sends (for counters and tests). */
  onQuery?: (sql: string) => void;
}

/** Creates a Prisma Client for PostgreSQL through the `pg` driver adapter. */
export function createPrismaClient({ databaseUrl, poolSize = 10, onQuery }: DatabaseOptions): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: poolSize });
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (event) => onQuery(event.query));
  return client;
}
