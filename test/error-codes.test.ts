/**
 * One list of error codes: the codes the source can produce (found by scanning
 * src/ and the package's src/ for them, plus Apollo Server's own), `ErrorCode`
 * in src/graphql/errors.ts, the schema's `enum ErrorCode` and the README's
 * table are the same set, and every code is described (HTTP status, retry).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { buildSchema, type GraphQLEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/graphql/errors.js';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/**
 * What the source can answer with: `ErrorCode.X` wherever it is used, a literal
 * `code: 'X'` (an error built by hand), an error class's `readonly code = 'X'`
 * (the package's errors, mapped by the formatter), and Apollo Server's own codes,
 * but PERSISTED_QUERY_NOT_SUPPORTED: APQ is on without TRUSTED_DOCUMENTS, and
 * with it src/security/trusted-documents.ts takes every persistedQuery extension
 * out before Apollo sees it.
 */
function producedCodes(): Set<string> {
  const codes = new Set<string>(Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED));
  const files = [...sources(path.join(root, 'src')), ...sources(path.join(root, 'packages/prisma-write-through/src'))];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // The declaration of ErrorCode itself names every code: only its uses count.
    const uses = file.endsWith(path.join('graphql', 'errors.ts')) ? text.slice(text.indexOf('} as const satisfies')) : text;
    for (const [, code] of uses.matchAll(/\bErrorCode\.([A-Z][A-Z0-9_]+)/g)) codes.add(code!);
    for (const [, code] of text.matchAll(/\bcode:\s*'([A-Z][A-Z0-9_]+)'/g)) codes.add(code!);
    for (const [, code] of text.matchAll(/\breadonly code = '([A-Z][A-Z0-9_]+)'/g)) codes.add(code!);
  }
  return codes;
}

function schemaEnum(): GraphQLEnumType {
  const type = buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8')).getType('ErrorCode');
  if (!type) throw new Error('schema.graphql has no enum ErrorCode');
  return type as GraphQLEnumType;
}

/** The rows of the README's table under "### Error codes": `code` → the rest of the row. */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Error codes'));
  const table = section.slice(0, section.search(/\n#{2,3} /));
  return new Map([...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|(.*)$/gm)].map(([, code, rest]) => [code!, rest!]));
}

const sorted = (codes: Iterable<string>) => [...codes].sort();

describe('error codes', () => {
  it('the source, ErrorCode, the schema enum and the README table list the same codes', () => {
    const produced = sorted(producedCodes());
    expect(produced.length).toBeGreaterThan(15);
    expect(sorted(Object.values(ErrorCode))).toEqual(produced);
    expect(
      sorted(
        schemaEnum()
          .getValues()
          .map((value) => value.name),
      ),
    ).toEqual(produced);
    expect(sorted(readmeTable().keys())).toEqual(produced);
  });

  it('every code says when it happens, its HTTP status and whether to retry', () => {
    const type = schemaEnum();
    expect(type.description).toMatch(/^The values of `errors\[\]\.extensions\.code`/);
    for (const value of type.getValues()) {
      expect(value.description, value.name).toMatch(/HTTP \d{3}/);
      expect(value.description, value.name).toMatch(/retry/i);
    }
    for (const [code, row] of readmeTable()) {
      const cells = row.split(' | ');
      expect(cells, code).toHaveLength(3);
      expect(cells[1], code).toMatch(/\b[2-5]\d\d\b/);
      expect(cells[2]!.trim(), code).not.toBe('');
    }
  });
});
