import { createHash } from 'node:crypto';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

/**
 * The typed client of this app (graphql-codegen's client preset), from the API's
 * schema and the operations written in src/: `npm run codegen` (in this folder) writes
 * src/gql/. A separate app copies this file and changes `schema` to where it keeps the
 * API's schema.graphql (a copy, or the running API's URL in development).
 *
 * What a separate app needs that the preset's defaults miss:
 * - `scalars`: the API's custom scalars, as they travel in JSON. `DateTime` is an ISO 8601
 *   string and `SafeInt` a number (without them both are `any`);
 * - `emitLegacyCommonJSImports: false`: the generated files import each other as
 *   `./graphql.js`, which resolves under `moduleResolution` NodeNext as well as Bundler (the
 *   preset's default, `./graphql`, does not type-check under NodeNext);
 * - `useTypeImports`: `import type` for types, required by `verbatimModuleSyntax`;
 * - `enumsAsTypes`: enums as string unions (`'PRICE' | 'NAME' | ...`), no runtime objects;
 * - `persistedDocuments`: every operation gets its SHA-256 hash (`document.__meta__.hash`)
 *   and src/gql/persisted-documents.json lists `{ "<hash>": "<document>" }`: the manifest
 *   that the API's `TRUSTED_DOCUMENTS` reads, so that the app may send hashes only. The
 *   hash is the plain hex digest, as APQ's `sha256Hash` carries it: `hashAlgorithm: 'sha256'`
 *   would write `sha256:<hex>` keys (client preset 6), which the API's manifests accept but
 *   APQ's `sha256Hash` does not;
 * - `addTypenameSelectionDocumentTransform`: `__typename` in every selection, in the
 *   manifest too, so that urql's document cache (which needs `__typename` to know what a
 *   mutation invalidates) gets it when the server runs the manifest's text.
 */
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  emitLegacyCommonJSImports: false,
  ignoreNoDocuments: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: (document: string) => createHash('sha256').update(document).digest('hex') },
      },
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', SafeInt: 'number' },
      },
    },
  },
};

export default config;
