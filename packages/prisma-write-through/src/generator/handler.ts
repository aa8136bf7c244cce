/**
 * The generator's I/O: what `prisma generate` calls (through
 * `@prisma/generator-helper`'s JSON-RPC loop, see `bin.ts`), reading the
 * generator block and writing the emitted module.
 */
import { createRequire } from 'node:module';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratorConfig, GeneratorManifest, GeneratorOptions } from '@prisma/generator';
import { parseGeneratorConfig } from './config.js';
import { buildEntityMetadata } from './metadata.js';
import { renderEntityModule } from './emit.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

/** This package's version, written in the emitted module's header. */
export const GENERATOR_VERSION: string = pkg.version;

/** The name `prisma generate` prints for this generator. */
export const GENERATOR_PRETTY_NAME = 'prisma-write-through entity metadata';

/** The file name written when the block's `output` is a directory. */
export const DEFAULT_FILE_NAME = 'entities.ts';

/**
 * The generator's manifest (Prisma's `GeneratorManifest`): its name and
 * version, no default output (the block must set `output`) and no engines, so
 * `prisma generate` downloads nothing for it.
 */
export function generatorManifest(_config?: GeneratorConfig): GeneratorManifest {
  return { prettyName: GENERATOR_PRETTY_NAME, version: GENERATOR_VERSION, requiresEngines: [] };
}

/**
 * The file to write for a resolved `output` (Prisma resolves the block's
 * `output` against the schema file's folder before calling the generator):
 * `output` itself when it ends in `.ts`, `.mts` or `.cts`, else
 * `<output>/entities.ts`.
 */
export function outputFile(output: string): string {
  return /\.[cm]?ts$/.test(output) ? output : path.join(output, DEFAULT_FILE_NAME);
}

/**
 * Generates the entity module for one `prisma generate` run: reads the
 * generator block (`versionField`, `idFields`), the datasource's provider and
 * the DMMF from Prisma's `GeneratorOptions`, and writes the module to the
 * block's `output`, creating its folder; an unchanged file is not rewritten
 * (its mtime stays, for watchers).
 *
 * @returns The path written (or left as it was).
 * @throws Error when the block has no `output`; GeneratorConfigError for a bad block; EntityMetadataError when the block does not fit the schema; any file-system error. `prisma generate` reports the message and fails.
 */
export async function generateEntityModule(options: GeneratorOptions): Promise<string> {
  const output = options.generator.output?.value;
  if (!output) throw new Error(`generator ${options.generator.name}: set output, e.g. output = "../src/generated/entities.ts"`);
  const file = outputFile(output);
  const metadata = buildEntityMetadata(options.dmmf.datamodel, {
    ...parseGeneratorConfig(options.generator.config),
    provider: options.datasources[0]?.activeProvider,
  });
  const text = renderEntityModule(metadata, { generatorVersion: GENERATOR_VERSION });
  const previous = await readFile(file, 'utf8').catch(() => null);
  if (previous !== text) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return file;
}

/** The handler for `generatorHandler` of `@prisma/generator-helper`. */
export const handler = {
  onManifest: generatorManifest,
  async onGenerate(options: GeneratorOptions): Promise<void> {
    await generateEntityModule(options);
  },
};
