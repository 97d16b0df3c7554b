import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', 'out', 'coverage', 'models', 'scripts', 'tests/fixtures', 'node_modules'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/cli/**', 'src/build/**', 'tests/**', '*.config.{js,ts}', 'src/**/*.test.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['public/coi-sw.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    // Pure math: importable from the worker, the UI and Node alike.
    files: ['src/mae/**/*.ts'],
    ignores: ['src/mae/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['react', 'react-*', 'zustand', 'onnxruntime-*', 'node:*'],
              message: 'src/mae must stay pure.',
            },
            { group: ['../*'], message: 'src/mae must not depend on other layers.' },
          ],
        },
      ],
    },
  },
  {
    // Readers of untrusted checkpoint bytes: shared by the worker and the CLI, so no DOM or Node.
    files: ['src/formats/**/*.ts'],
    ignores: ['src/formats/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['react', 'react-*', 'zustand', 'onnxruntime-*', 'node:*'],
              message: 'src/formats must stay pure.',
            },
            {
              group: ['../runtime/*', '../ui/*', '../cli/*'],
              message: 'src/formats depends on src/mae only.',
            },
          ],
        },
      ],
    },
  },
);
