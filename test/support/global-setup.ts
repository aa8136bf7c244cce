/**
 * Builds the migrated template database once per test run, and drops it at the end.
 *
 * Two projects (integration, system) take this setup, and vitest runs both in the
 * same process at the same time: they share one template, created once (the
 * WebAssembly migration engine must not run two migrations at once in one process:
 * it fails with "The encoded data was not valid for encoding utf-8"), and the last
 * teardown drops it.
 */
import { randomBytes } from 'node:crypto';
import { applyMigrations } from '../../scripts/migrations.js';
import { adminQuery, databaseUrl } from './databases.js';

/** Process-wide (each project loads this module apart): the template being or already built, and its users. */
const shared = globalThis as typeof globalThis & { __sfTestTemplate?: { ready: Promise<string>; users: number } };

async function createTemplate(): Promise<string> {
  const template = `sf_test_template_${randomBytes(4).toString('hex')}`;
  await applyMigrations({ databaseUrl: databaseUrl(template), createDatabase: true });
  return template;
}

export default async function setup() {
  shared.__sfTestTemplate ??= { ready: createTemplate(), users: 0 };
  const state = shared.__sfTestTemplate;
  state.users++;
  const template = await state.ready;
  // Set before the test workers start, which inherit it (see TEMPLATE in databases.ts).
  process.env.SF_TEST_TEMPLATE = template;
  return async () => {
    if (--state.users > 0) return;
    shared.__sfTestTemplate = undefined;
    await adminQuery(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  };
}
