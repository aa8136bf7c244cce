// ESLint (flat config) with typescript-eslint. Its first job is the package
// boundary, both ways:
// - the app, its scripts and tests import the cache core by its package name
//   only (`prisma-write-through`, `prisma-write-through/testing`,
//   `prisma-write-through/generator`), never by a path into packages/;
// - the package imports nothing of the app (src/, scripts/, test/), so it stays
//   free of domain code.
// Type-aware rules are left out: the suite's own strict TypeScript check
// (`npm run typecheck`) covers types.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const intoThePackage = {
  group: ['**/packages/**', '**/prisma-write-through/src/**', '**/prisma-write-through/dist/**'],
  message: 'Import the cache core by its package name (prisma-write-through, /testing or /generator), not by a path into it.',
};
const intoTheApp = {
  group: ['**/src/**', '**/scripts/**', '**/test/support/**', '../../../*'],
  message: 'The package must not import the application: it stays free of domain code.',
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'src/generated/**',
      'examples/**/gql/**',
      'packages/prisma-write-through/test/out/**',
      'packages/prisma-write-through/test/generated/**',
      '.wt-break/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-restricted-imports': ['error', { patterns: [intoThePackage] }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none' },
      ],
      'no-debugger': 'error',
      'no-duplicate-imports': 'off',
    },
  },
  {
    files: ['packages/prisma-write-through/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [intoTheApp] }] },
  },
  {
    // The web storefront's React components (examples/web): the rules of hooks, and React's
    // own recommended checks (the plugin's `recommended`).
    files: ['examples/web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    // The package's tests read the storefront's schema and generated metadata as a second fixture.
    files: ['packages/prisma-write-through/test/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
