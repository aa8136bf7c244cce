/**
 * Test helpers: real DMMF from Prisma's own schema parser
 * (`getDMMF` of `@prisma/internals` 7.10, the WebAssembly build that
 * `prisma generate` uses too, so it works offline), and the paths the tests use.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as DMMF from '@prisma/dmmf';
import internals from '@prisma/internals';
import { parseGeneratorConfig, type MetadataOptions } from '../src/generator/index.js';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(packageDir, '..', '..');
/** The storefront's schema (the project this package lives in). */
export const storefrontSchema = path.join(repoRoot, 'prisma', 'schema.prisma');
/** The package's own schema: authors, posts, comments, and the odd cases. */
export const blogSchema = path.join(packageDir, 'test', 'fixtures', 'blog.prisma');

const require = createRequire(import.meta.url);
const prismaCli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
/** tsx's CLI, which runs this package's generator from its TypeScript source. */
export const tsxCli = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
const generatorSource = path.join(packageDir, 'src', 'generator', 'bin.ts');
const PROVIDER = /provider(\s*)= "prisma-write-through-generator"/;

/**
 * A real `prisma generate` (Prisma 7.10's CLI), offline: writes `schemaText`
 * to `<dir>/schema.prisma` (outputs resolve from `dir`) with the block of this
 * package's generator running its source through tsx (no build needed), and
 * a `package.json` of `"type": "module"` (the emitted modules are ES modules,
 * as in an app). Returns what the CLI printed. The CLI wants a native schema
 * engine even for `generate`, and cannot download one here; `generate` never
 * runs it, so a stub that exits 1 will do (docs/prisma-offline.md).
 */
export async function prismaGenerate(schemaText: string, dir: string): Promise<string> {
  if (!PROVIDER.test(schemaText)) throw new Error('prismaGenerate: the schema has no prisma-write-through-generator block');
  await mkdir(dir, { recursive: true });
  const stub = path.join(dir, 'schema-engine-stub.sh');
  await writeFile(stub, '#!/bin/sh\necho "no schema engine in this test" >&2\nexit 1\n');
  await chmod(stub, 0o755);
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const schemaPath = path.join(dir, 'schema.prisma');
  await writeFile(
    schemaPath,
    schemaText.replace(PROVIDER, (_, space: string) => `provider${space}= ${JSON.stringify(`"${process.execPath}" "${tsxCli}" "${generatorSource}"`)}`),
  );
  const { stdout } = await promisify(execFile)(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], {
    cwd: dir,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  return stdout;
}

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
