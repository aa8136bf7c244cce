/** Builds the migrated template database once per test run, and drops it at the end. */
import { randomBytes } from 'node:crypto';
import { applyMigrations } from '../../scripts/migrations.js';
import { adminQuery, databaseUrl } from './databases.js';

export default async function setup() {
  // Set before the test workers start, which inherit it (see TEMPLATE in databases.ts).
  const template = `sf_test_template_${randomBytes(4).toString('hex')}`;
  process.env.SF_TEST_TEMPLATE = template;
  await applyMigrations({ databaseUrl: databaseUrl(template), createDatabase: true });
  return async () => {
    await adminQuery(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  };
}
