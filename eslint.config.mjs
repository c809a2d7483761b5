// Flat config: typescript-eslint's recommended rules plus a few that keep the core honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'bench/tmp/**', '.tools/**', '*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core runs in plain Node and in a worker: it must never reach for VS Code.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/cli must not import vscode.' }] }],
    },
  },
  {
    // The webview runs in a browser: no Node globals (its tsconfig sees Node types only for the core's sake).
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'require', 'Buffer', '__dirname', '__filename', 'global', 'module'],
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'webview/ runs in the browser.' }], patterns: [{ group: ['node:*'], message: 'webview/ runs in the browser.' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'bin/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly', module: 'writable', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
  {
    files: ['bin/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The benchmark's control extension: plain CommonJS, loaded by VS Code's extension host.
    files: ['bench/lens-probe/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
