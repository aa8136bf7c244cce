/**
 * Test databases: one migrated template per run, then a fresh copy per test
 * file (CREATE DATABASE ... TEMPLATE takes milliseconds; migrating takes seconds).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the tests use; TEST_DATABASE_URL overrides it. */
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** One migrated template per test run (global-setup names it), so overlapping runs do not drop each other's. */
export const TEMPLATE = process.env.SF_TEST_TEMPLATE ?? 'sf_test_template';

export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database for one test file; returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sf_test_${randomBytes(5).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE}"`);
      break;
    } catch (error) {
      // Two files copying the template at once: "source database is being accessed by other users".
      if (attempt >= 20 || (error as { code?: string }).code !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
  return { url: databaseUrl(name), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
