// Flat config: typescript-eslint's recommended rules plus a few that keep the core honest.
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Outside src/core, the core is imported only through its facade (src/core/index.ts) or, in a browser bundle, src/core/browser.ts. */
const DEEP_CORE = { regex: '(^|/)core/(?!(index|browser)$)', message: 'import the core through its facade (src/core/index.ts, or src/core/browser.ts in the webview), not its files.' };

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
    // Import cycles hide a misplaced type; the data flows one way (CONTRIBUTING).
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })], 'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] }, 'import-x/extensions': ['.ts', '.js', '.mjs'] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // The core imports nothing of the editors, the server, the debugger, the CLI or the webview.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/core', from: ['./src/extension', './src/server', './src/debug', './src/shared', './src/cli', './webview'], message: 'src/core knows nothing of its users.' },
            { target: './webview', from: ['./src/extension', './src/server', './src/debug', './src/cli'], message: 'the webview talks to the extension only through src/shared/webviewProtocol.ts.' },
            { target: './src/shared', from: ['./src/extension', './src/server', './src/debug', './src/cli', './webview'], message: 'src/shared is what the sides share: it imports none of them.' },
          ],
        },
      ],
    },
  },
  {
    // The core runs in plain Node and in a worker: it must never reach for VS Code.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/server/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core, src/cli, src/server and src/shared must not import vscode.' }] }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/server/**/*.ts', 'src/shared/**/*.ts', 'src/extension/**/*.ts', 'src/debug/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'only src/extension imports vscode.' }], patterns: [DEEP_CORE] }],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [DEEP_CORE] }],
    },
  },
  {
    // The webview runs in a browser: no Node globals (its tsconfig sees Node types only for the core's sake).
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'require', 'Buffer', '__dirname', '__filename', 'global', 'module'],
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'webview/ runs in the browser.' }],
          patterns: [
            { group: ['node:*'], message: 'webview/ runs in the browser.' },
            { regex: '(^|/)core(/(?!browser$).*)?$', message: 'the webview imports the core through src/core/browser.ts (no engine in a browser bundle).' },
          ],
        },
      ],
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
