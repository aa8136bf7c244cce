/**
 * The generator in a real `prisma generate` (Prisma 7.10's CLI, offline),
 * then the emitted module compiled by TypeScript and loaded.
 *
 * The generator block's provider runs this package's source through tsx,
 * so the test needs no build; the repository's own schema runs the built
 * bin (`prisma-write-through-generator`) the same way.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEntityMetadata,
  generateEntityModule,
  generatorManifest,
  outputFile,
  renderEntityModule,
  GENERATOR_VERSION,
  type EntityMetadata,
} from '../src/generator/index.js';
import { blogSchema, dmmfOf, optionsOf, packageDir, prismaGenerate, tsxCli } from './support.js';

let dir: string;
let emitted: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prisma-write-through-'));
  const schema = (await readFile(blogSchema, 'utf8')).replace('output       = "../out/blog-entities.ts"', 'output       = "./generated"');
  const stdout = await prismaGenerate(schema, dir);
  expect(await readFile(path.join(dir, 'schema.prisma'), 'utf8')).toContain(tsxCli);
  expect(stdout).toContain('Generated prisma-write-through entity metadata');
  // `output` names a folder: the module is entities.ts in it.
  emitted = path.join(dir, 'generated', 'entities.ts');
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('prisma generate', () => {
  it('writes the module that buildEntityMetadata + renderEntityModule give for the same schema and block', async () => {
    const expected = renderEntityModule(buildEntityMetadata((await dmmfOf(blogSchema)).datamodel, await optionsOf(blogSchema, 'entities')), {
      generatorVersion: GENERATOR_VERSION,
    });
    expect(await readFile(emitted, 'utf8')).toBe(expected);
  });

  it('emits a module that compiles under strict TypeScript, with the package types and literal types', async () => {
    const check = path.join(dir, 'generated', 'check.ts');
    const typesModule = path
      .relative(path.dirname(check), path.join(packageDir, 'src', 'generator', 'types.js'))
      .split(path.sep)
      .join('/');
    await writeFile(
      check,
      `import type * as Pkg from '${typesModule}';
import { entityMetadata, cacheableModels, models, cascades, type CacheableModelName, type ModelName } from './entities.js';
import type * as Gen from './entities.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// The emitted declarations are the package's, both ways.
export const same: [
  Equal<Pkg.EntityMetadata, Gen.EntityMetadata>,
  Equal<Pkg.ModelMetadata, Gen.ModelMetadata>,
  Equal<Pkg.RelationMetadata, Gen.RelationMetadata>,
  Equal<Pkg.ScalarFieldMetadata, Gen.ScalarFieldMetadata>,
  Equal<Pkg.DeleteEffects, Gen.DeleteEffects>,
  Equal<Pkg.CascadePath, Gen.CascadePath>,
  Equal<Pkg.CascadeStep, Gen.CascadeStep>,
] = [true, true, true, true, true, true, true];
export const asPackageType: Pkg.EntityMetadata = entityMetadata;
// Literal types survive.
export const idColumn: 'author_id' = models.Author.idField.column;
export const commentId: 'comment_uuid' = entityMetadata.models.Comment.idField.column;
export const names: readonly ['Author', 'Category', 'Comment', 'Post'] = cacheableModels;
export const reached: readonly ['Comment', 'Post'] = cascades.Author.deletes;
export const tableName: 'authors' = models.Author.dbName;
export const model: ModelName = 'AuditEntry';
// @ts-expect-error Tag has no version field: not a cacheable model.
export const notCacheable: CacheableModelName = 'Tag';
`,
    );
    const program = ts.createProgram([emitted, check], {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noUnusedLocals: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('emits a module that loads, with the metadata as data', async () => {
    const mod = (await import(emitted)) as Pick<EntityMetadata, 'models' | 'cascades'> & { cacheableModels: readonly string[] };
    expect(mod.models.Author!.idField).toEqual({ name: 'id', column: 'author_id', type: 'Int', source: 'id' });
    expect(mod.cascades.Author!.deletes).toEqual(['Comment', 'Post']);
    expect(mod.cacheableModels).toEqual(['Author', 'Category', 'Comment', 'Post']);
  });
});

describe('generateEntityModule', () => {
  it('writes to a .ts output as a file, creates its folder, and leaves an unchanged file alone', async () => {
    const dmmf = await dmmfOf(blogSchema);
    const file = path.join(dir, 'direct', 'nested', 'meta.ts');
    const options = {
      generator: {
        name: 'entities',
        output: { value: file, fromEnvVar: null },
        provider: { value: 'x', fromEnvVar: null },
        config: {},
        binaryTargets: [],
        previewFeatures: [],
        sourceFilePath: blogSchema,
      },
      otherGenerators: [],
      schemaPath: blogSchema,
      dmmf,
      datasources: [{ name: 'db', provider: 'postgresql', activeProvider: 'postgresql', schemas: [], sourceFilePath: blogSchema }],
      datamodel: '',
      version: 'test',
    } as const satisfies Parameters<typeof generateEntityModule>[0];
    expect(await generateEntityModule(options)).toBe(file);
    const first = await stat(file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await generateEntityModule(options);
    expect((await stat(file)).mtimeMs).toBe(first.mtimeMs);
    // Without idFields, Comment is not cacheable.
    expect(await readFile(file, 'utf8')).toContain("cacheableModels = ['Author', 'Category', 'Post'] as const");
    await expect(generateEntityModule({ ...options, generator: { ...options.generator, output: null } })).rejects.toThrow(/set output/);
    await expect(generateEntityModule({ ...options, generator: { ...options.generator, config: { idField: 'Comment.uuid' } } })).rejects.toThrow(
      /unknown setting idField/,
    );
  });

  it('names an output folder entities.ts; asks Prisma for no engine', () => {
    expect(outputFile('/x/generated')).toBe(path.join('/x/generated', 'entities.ts'));
    expect(outputFile('/x/meta.mts')).toBe('/x/meta.mts');
    expect(generatorManifest()).toEqual({ prettyName: 'prisma-write-through entity metadata', version: GENERATOR_VERSION, requiresEngines: [] });
  });
});
