import js from '@eslint/js';
import vitest from '@vitest/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import testingLibrary from 'eslint-plugin-testing-library';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers and what each may import (README "Layout"): data flows mae -> runtime -> ui, and the
 * CLI and the bench sit beside the UI, never on it.
 */
const layer = (message, ...group) => ({ group, message });
const PURE = layer(
  'src/mae is pure maths: no React, DOM, Node or onnxruntime.',
  'react',
  'react-*',
  'zustand',
  'onnxruntime-*',
  'node:*',
);
const boundaries = [
  {
    files: ['src/mae/**/*.ts'],
    patterns: [PURE, layer('src/mae must not depend on other layers.', '../*')],
  },
  {
    files: ['src/shared/**/*.ts', 'src/formats/**/*.ts'],
    patterns: [
      PURE,
      layer(
        'shared helpers and file formats depend on nothing but src/mae.',
        '../runtime/*',
        '../ui/*',
        '../cli/*',
        '../bench/*',
        '../build/*',
      ),
    ],
  },
  {
    files: ['src/runtime/**/*.ts'],
    patterns: [
      layer(
        'src/runtime must not reach into the UI, the CLI or the bench.',
        '../ui/*',
        '../ui',
        '../cli/*',
        '../bench/*',
      ),
    ],
  },
  {
    files: ['src/cli/**/*.ts', 'src/bench/**/*.ts'],
    patterns: [layer('the CLI and the bench know no UI.', '**/ui/*', '**/ui', 'react', 'react-*', 'zustand')],
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx'],
    patterns: [
      layer(
        'the UI talks to the worker through inferenceClient and protocol only, never its internals.',
        '**/runtime/inferenceHandler',
        '**/runtime/inference.worker*',
        '**/runtime/maeRunner',
        '**/runtime/reconstruct',
        'onnxruntime-*',
        '**/cli/*',
        '**/bench/*',
      ),
    ],
  },
].map(({ files, patterns }) => ({
  files,
  ignores: ['**/*.test.ts', '**/*.test.tsx'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}));

export default tseslint.config(
  { ignores: ['dist', 'out', 'coverage', 'models', 'scripts', 'tests/fixtures', 'node_modules'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks, 'simple-import-sort': simpleImportSort },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    files: ['src/cli/**', 'src/bench/**', 'src/build/**', 'tests/**', '*.config.{js,ts}', 'src/**/*.test.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['public/*.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ['**/*.test.{ts,tsx}', 'tests/**/*.ts'],
    ...vitest.configs.recommended,
    rules: {
      ...vitest.configs.recommended.rules,
      // expect(value, message): vitest's own second argument names what failed.
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
      // Our assertion helpers (tests/helpers/arrays.ts and the like) count as assertions.
      'vitest/expect-expect': [
        'error',
        { assertFunctionNames: ['expect', 'expect*', 'assert*', 'check*', 'fc.assert'] },
      ],
      // Property tests assert inside fast-check's cases, which branch on what was generated.
      'vitest/no-conditional-expect': 'off',
      'vitest/no-standalone-expect': ['error', { additionalTestBlockFunctions: ['beforeAll'] }],
    },
  },
  {
    files: ['src/ui/**/*.test.tsx'],
    ...testingLibrary.configs['flat/react'],
    rules: {
      ...testingLibrary.configs['flat/react'].rules,
      // vitest runs without globals, so Testing Library cannot register its own afterEach(cleanup).
      'testing-library/no-manual-cleanup': 'off',
      // The store decodes images asynchronously after a paste, drop or change event: act() awaits it.
      'testing-library/no-unnecessary-act': 'off',
    },
  },
  ...boundaries,
);
