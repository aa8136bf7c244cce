/**
 * The generator block's settings. Prisma hands a generator its block's
 * key/value pairs as `GeneratorConfig.config` (`@prisma/generator` 7.10):
 * every value is a string or an array of strings; `output` and `provider`
 * are not among them (they are `GeneratorConfig.output` / `.provider`).
 *
 *   generator entities {
 *     provider     = "prisma-write-through-generator"
 *     output       = "../src/generated/entities.ts"
 *     versionField = "version"                 // optional, default "version"
 *     idFields     = ["Comment.uuid"]          // optional: Model.field pairs
 *   }
 */
import type { MetadataOptions } from './metadata.js';

/** The raw `GeneratorConfig.config` of Prisma: block settings as strings or string arrays. */
export type RawGeneratorConfig = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The settings this generator reads; any other key is an error (a typo must not pass silently). */
export const CONFIG_KEYS = ['versionField', 'idFields'] as const;

/** The error for a generator block that this generator cannot use. */
export class GeneratorConfigError extends Error {
  override name = 'GeneratorConfigError';
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Reads the generator block's settings into {@link MetadataOptions}.
 *
 * - `versionField`: one field name (a string).
 * - `idFields`: `"Model.field"` entries, as an array or one string (commas
 *   separate several); at most one per model.
 *
 * @throws GeneratorConfigError for an unknown key, a value of the wrong shape, a malformed or repeated `idFields` entry.
 */
export function parseGeneratorConfig(config: RawGeneratorConfig): Pick<MetadataOptions, 'versionField' | 'idFields'> {
  const unknown = Object.keys(config).filter((k) => config[k] !== undefined && !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new GeneratorConfigError(
      `unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in the generator block (known: ${CONFIG_KEYS.join(', ')})`,
    );
  }
  const options: Pick<MetadataOptions, 'versionField' | 'idFields'> = {};

  const versionField = config.versionField;
  if (versionField !== undefined) {
    if (typeof versionField !== 'string' || !IDENTIFIER.test(versionField)) {
      throw new GeneratorConfigError(`versionField must be one field name, got ${JSON.stringify(versionField)}`);
    }
    options.versionField = versionField;
  }

  const idFields = config.idFields;
  if (idFields !== undefined) {
    const entries = (typeof idFields === 'string' ? idFields.split(',') : [...idFields]).map((e) => e.trim()).filter((e) => e !== '');
    const byModel: Record<string, string> = {};
    for (const entry of entries) {
      const [model, field, ...rest] = entry.split('.');
      if (!model || !field || rest.length > 0 || !IDENTIFIER.test(model) || !IDENTIFIER.test(field)) {
        throw new GeneratorConfigError(`idFields entries are "Model.field", got ${JSON.stringify(entry)}`);
      }
      if (byModel[model] !== undefined) throw new GeneratorConfigError(`idFields names two fields for ${model}: ${byModel[model]} and ${field}`);
      byModel[model] = field;
    }
    options.idFields = byModel;
  }
  return options;
}
