/** The schema, read from schema.graphql at the project root (schema-first). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Found from this file's place: `src/graphql/` under tsx, `dist/src/graphql/` when compiled. */
function findSchemaFile(): URL {
  for (const up of ['../../schema.graphql', '../../../schema.graphql']) {
    const candidate = new URL(up, import.meta.url);
    try {
      readFileSync(fileURLToPath(candidate));
      return candidate;
    } catch {
      // try the next place
    }
  }
  throw new Error('schema.graphql not found next to src/ or dist/');
}

export const typeDefs = readFileSync(fileURLToPath(findSchemaFile()), 'utf8');
