/**
 * Change capture: writes that do not go through the extension (SQL from
 * another client, a data migration, a raw statement nobody declared) reach
 * the cache too. A trigger function in PostgreSQL (sql/change-capture.sql,
 * shipped with this package) records them in the outbox with
 * `captured = true` and NOTIFYs; the reconciler publishes them after COMMIT,
 * woken by a LISTEN connection (listener.ts) or by its poll.
 *
 * The extension tells its own transactions apart with a transaction-local
 * setting (`prisma_write_through.tx = 'on'`, set before its first write):
 * the trigger records nothing there, because the extension publishes what it
 * changed itself, with leases. This module holds the names both sides share
 * and writes the trigger statements for a configuration.
 */
import { readFileSync } from 'node:fs';
import type { EntityMetadata } from './generator/types.js';
import type { CachedEntity } from './types.js';

/** The channel the capture trigger NOTIFYs (once per transaction that recorded a change) and reconcilers LISTEN on. */
export const CAPTURE_CHANNEL = 'prisma_write_through';

/** The transaction-local setting that marks a transaction as the extension's own: the trigger records nothing in it. */
export const OWN_WRITES_SETTING = 'prisma_write_through.tx';

/** The statement each write-through transaction runs once, before its first write (one round trip; transaction-scoped, so fine through PgBouncer). */
export const MARK_OWN_WRITES_SQL = `SET LOCAL ${OWN_WRITES_SETTING} = 'on'`;

/** The trigger function's name, as sql/change-capture.sql creates it. */
export const CAPTURE_FUNCTION = 'prisma_write_through_capture';

/**
 * The text of sql/change-capture.sql: a comment on what it does, then
 * `CREATE OR REPLACE FUNCTION prisma_write_through_capture()` (PostgreSQL 13
 * or later). Put it in a migration, followed by `captureTriggers(...)`.
 * Throws the file system's error if the package was installed without its
 * `sql/` folder.
 */
export function changeCaptureSql(): string {
  return readFileSync(new URL('../sql/change-capture.sql', import.meta.url), 'utf8');
}

/** `"name"`, or `"schema"."name"`. */
function qualified(schema: string | null, name: string): string {
  const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
  return schema ? `${quote(schema)}.${quote(name)}` : quote(name);
}

/** An SQL string literal. */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The `CREATE TRIGGER` statements that install the capture function on every
 * table of the cached entities: for each entity, its root table (`BEFORE
 * UPDATE OR DELETE`: entity name, id column, version column) and each of its
 * member tables (`BEFORE INSERT OR UPDATE OR DELETE`: the root's entity name,
 * id column and version column, the member column holding the root's id, the
 * root table and, for a root under `@@schema`, its schema). Tables and
 * columns are the mapped ones (`@@map`, `@map`) from `schema`, the metadata
 * the package's generator emits. One statement per string, each ending in
 * `;`, roots first, in the order of `entities`; trigger names are
 * `<table>_write_through_capture`.
 *
 * Throws an `Error` naming the entity when its model, id field, version field
 * or a member field is not in `schema`.
 */
export function captureTriggers(entities: Record<string, CachedEntity<any, any>>, schema: EntityMetadata): string[] {
  const statements: string[] = [];
  const memberStatements: string[] = [];
  for (const [entity, cfg] of Object.entries(entities)) {
    const root = schema.models[cfg.model];
    if (!root) throw new Error(`${entity}: model ${cfg.model} is not in the schema`);
    const idField = cfg.idField ?? 'id';
    if (root.idField?.name !== idField) throw new Error(`${entity}: ${cfg.model} is not keyed by ${JSON.stringify(idField)} in the schema`);
    if (!root.versionField) throw new Error(`${entity}: ${cfg.model} has no version field`);
    const rootArgs = [entity, root.idField.column, root.versionField.column];
    statements.push(
      `CREATE TRIGGER ${qualified(null, `${root.dbName}_write_through_capture`)} BEFORE UPDATE OR DELETE ON ${qualified(root.schema, root.dbName)} ` +
        `FOR EACH ROW EXECUTE FUNCTION ${CAPTURE_FUNCTION}(${rootArgs.map(literal).join(', ')});`,
    );
    for (const [memberModel, field] of Object.entries(cfg.members ?? {})) {
      const member = schema.models[memberModel];
      const column = member?.fields[field]?.column;
      if (!member || !column) throw new Error(`${entity}: member ${memberModel}.${field} is not in the schema`);
      const args = [...rootArgs, column, root.dbName, ...(root.schema ? [root.schema] : [])];
      memberStatements.push(
        `CREATE TRIGGER ${qualified(null, `${member.dbName}_write_through_capture`)} BEFORE INSERT OR UPDATE OR DELETE ON ${qualified(member.schema, member.dbName)} ` +
          `FOR EACH ROW EXECUTE FUNCTION ${CAPTURE_FUNCTION}(${args.map(literal).join(', ')});`,
      );
    }
  }
  return [...statements, ...memberStatements];
}
