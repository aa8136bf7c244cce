/**
 * `prisma-write-through/generator`: the Prisma generator that emits the
 * cached entities' metadata, and its pure parts for other tools and tests.
 */
export { buildEntityMetadata, deriveCascades, compareNames, EntityMetadataError, type MetadataOptions } from './metadata.js';
export { parseGeneratorConfig, GeneratorConfigError, CONFIG_KEYS, type RawGeneratorConfig } from './config.js';
export { renderEntityModule, toTypeScriptLiteral, type RenderOptions } from './emit.js';
export { generateEntityModule, generatorManifest, outputFile, handler, GENERATOR_VERSION, GENERATOR_PRETTY_NAME, DEFAULT_FILE_NAME } from './handler.js';
export * from './types.js';
