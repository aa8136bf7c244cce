/**
 * Test helpers: real DMMF from Prisma's own schema parser
 * (`getDMMF` of `@prisma/internals` 7.10, the WebAssembly build that
 * `prisma generate` uses too, so it works offline), and the paths the tests use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as DMMF from '@prisma/dmmf';
import internals from '@prisma/internals';
import { parseGeneratorConfig, type MetadataOptions } from '../src/generator/index.js';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(packageDir, '..', '..');
/** The storefront's schema (the project this package lives in). */
export const storefrontSchema = path.join(repoRoot, 'prisma', 'schema.prisma');
/** The package's own schema: authors, posts, comments, and the odd cases. */
export const blogSchema = path.join(packageDir, 'test', 'fixtures', 'blog.prisma');

/** The DMMF of a schema file, as `prisma generate` hands it to generators. */
export async function dmmfOf(schemaPath: string): Promise<DMMF.Document> {
  return internals.getDMMF({ datamodel: readFileSync(schemaPath, 'utf8') });
}

/**
 * The options a schema's generator block named `generatorName` (the provider
 * of this package) gives, read with Prisma's own config parser, plus the
 * datasource's provider, as `generateEntityModule` reads them.
 */
export async function optionsOf(schemaPath: string, generatorName: string): Promise<MetadataOptions> {
  const config = await internals.getConfig({ datamodel: readFileSync(schemaPath, 'utf8') });
  const block = config.generators.find((g) => g.name === generatorName);
  if (!block) throw new Error(`${schemaPath} has no generator ${generatorName}`);
  return { ...parseGeneratorConfig(block.config), provider: config.datasources[0]?.activeProvider };
}
