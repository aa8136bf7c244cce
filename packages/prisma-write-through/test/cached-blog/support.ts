/**
 * The world of the runtime tests on the cached-blog schema
 * (test/fixtures/cached-blog.prisma): a PostgreSQL database of each test
 * file's own, with the schema's tables and the package's (sql/tables.sql);
 * Prisma Clients on it (the generated client, through @prisma/adapter-pg);
 * Redis connections and namespaces; and the two ways the tests cache the
 * schema (`aggregate`, `separate`).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { CachedEntity, EntityId } from '../../src/index.js';
import { packageDir } from '../support.js';
import { entityMetadata } from '../generated/cached-blog/entities.js';
import { PrismaClient } from '../generated/cached-blog/prisma/client.js';

export { entityMetadata, PrismaClient };

/** The PostgreSQL server (any database on it); a database per test file is created there. */
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Any client that reads the schema's models: the root client, an extended one, or a transaction client. */
type Db = Pick<PrismaClient, 'author' | 'post' | 'comment'>;
const numbers = (ids: EntityId[]) => ids as number[];
const strings = (ids: EntityId[]) => ids as string[];

/**
 * Comments as members of their post: a post is cached with its comments, as
 * one entry, versioned by the post's `rev` (the write-through raises it on
 * every change to a comment). Authors are cached by their handle.
 */
export const aggregate = {
  Author: {
    model: 'Author',
    idField: 'handle',
    row: {},
    load: (db, ids) => db.author.findMany({ where: { handle: { in: strings(ids) } } }),
  },
  Post: {
    model: 'Post',
    members: { Comment: 'postId' },
    load: (db, ids) => db.post.findMany({ where: { id: { in: numbers(ids) } }, include: { comments: { orderBy: { seq: 'asc' } } } }),
  },
} satisfies Record<string, CachedEntity<Db, object>>;

/**
 * Posts and comments as entities of their own: a comment is cached by its
 * uuid (not its @id) and versioned by its BigInt `rev`; deleting a post or an
 * author deletes their comments (onDelete: Cascade), in the cache too.
 */
export const separate = {
  Post: {
    model: 'Post',
    row: {},
    load: (db, ids) => db.post.findMany({ where: { id: { in: numbers(ids) } } }),
  },
  Comment: {
    model: 'Comment',
    idField: 'uuid',
    row: {},
    load: (db, ids) => db.comment.findMany({ where: { uuid: { in: strings(ids) } } }),
  },
} satisfies Record<string, CachedEntity<Db, object>>;

/** A key prefix no other test file (or run) uses. */
export const newNamespace = () => `pwt-${randomBytes(4).toString('hex')}:`;

/** A database of the test file's own, and the clients made on it (closed with it). */
export interface TestDatabase {
  url: string;
  /** A new Prisma Client (its own pool of `poolSize` connections). */
  client(poolSize?: number): PrismaClient;
  /** Runs SQL (several statements at once) on a connection of its own. */
  sql(text: string): Promise<void>;
  /** Disconnects every client and drops the database. */
  close(): Promise<void>;
}

/** Runs `text` (one statement or several) on a connection of its own to `url`. */
async function run(url: string, text: string): Promise<void> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  await connection.query(text).finally(() => connection.end());
}

/** Creates a database with the cached-blog tables (test/fixtures/cached-blog.sql) and the outbox and epoch tables (sql/tables.sql). */
export async function createDatabase(): Promise<TestDatabase> {
  const name = `pwt_test_${randomBytes(5).toString('hex')}`;
  await run(SERVER_URL, `CREATE DATABASE "${name}"`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const tables = await Promise.all(['test/fixtures/cached-blog.sql', 'sql/tables.sql'].map((file) => readFile(path.join(packageDir, file), 'utf8')));
  await run(url.toString(), tables.join('\n'));
  const clients: PrismaClient[] = [];
  return {
    url: url.toString(),
    client(poolSize = 4) {
      const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.toString(), max: poolSize }) });
      clients.push(client);
      return client;
    },
    sql: (text) => run(url.toString(), text),
    async close() {
      await Promise.all(clients.map((client) => client.$disconnect()));
      await run(SERVER_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/**
 * A connected Redis client that fails fast, as an application's should: no
 * offline queue (a command while disconnected fails at once, and reads go to
 * PostgreSQL), one retry, reconnection within 200 ms. `connectionName` names
 * it in CLIENT LIST (a test kills its own connections by name).
 */
export async function connectRedis(connectionName?: string): Promise<Redis> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    ...(connectionName && { connectionName }),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 20, 200),
  });
  redis.on('error', () => {}); // reconnects by itself; failed commands are the store's to report
  await redis.connect();
  return redis;
}
