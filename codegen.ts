import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Two outputs from schema.graphql:
 * - src/generated/graphql.ts: resolver types for the server, with the object
 *   types mapped to the records resolvers really receive (src/db/records.ts);
 * - examples/client/src/gql/: the typed client (client preset) used by the
 *   example client, from the operations written in examples/client/src.
 * `npm run codegen:check` fails when either is out of date. The web storefront has a config
 * of its own, the one a separate app would copy (examples/web/codegen.ts): `npm run codegen`
 * runs it after this one, and `codegen:check` covers its output (examples/web/src/gql/) too.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  emitLegacyCommonJSImports: false,
  ignoreNoDocuments: true,
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        contextType: '../graphql/context.js#GraphQLContext',
        useIndexSignature: false,
        enumsAsTypes: true,
        scalars: { DateTime: { input: 'string', output: 'string | Date' }, SafeInt: 'number' },
        mappers: {
          User: '../db/records.js#UserRecord',
          Product: '../db/records.js#ProductRecord',
          Cart: '../db/records.js#CartRecord',
          CartItem: '../db/records.js#CartItemRecord',
          Order: '../db/records.js#OrderRecord',
          OrderItem: '../db/records.js#OrderItemRecord',
          ProductConnection: '../db/records.js#ProductConnectionRecord',
        },
      },
    },
    'examples/client/src/gql/': {
      documents: ['examples/client/src/**/*.ts', '!examples/client/src/gql/**'],
      preset: 'client',
      presetConfig: { fragmentMasking: { unmaskFunctionName: 'getFragmentData' } },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', SafeInt: 'number' } },
    },
  },
};

export default config;
