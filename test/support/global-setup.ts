/** Builds the migrated template database once per test run. */
import { applyMigrations } from '../../src/db/migrations.js';
import { TEMPLATE, adminQuery, databaseUrl } from './databases.js';

export default async function setup() {
  await adminQuery(`DROP DATABASE IF EXISTS "${TEMPLATE}" WITH (FORCE)`);
  await applyMigrations({ databaseUrl: databaseUrl(TEMPLATE), createDatabase: true });
}
