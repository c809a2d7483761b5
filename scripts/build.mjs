// Bundles every entry point with esbuild: the extension host bundle (vscode external), the CLI,
// the language server, its analysis worker, the debug adapter and the webview. `--production` minifies, `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasm } from './build-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { GRADLENS_VERSION: JSON.stringify(version) },
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

const entries = [
  { ...node, entryPoints: [join(root, 'src/extension/extension.ts')], outfile: join(root, 'dist/extension.js'), external: ['vscode'] },
  { ...node, entryPoints: [join(root, 'src/cli/index.ts')], outfile: join(root, 'dist/cli.js') },
];
// The language server (a worker thread of the extension host) and its analysis worker.
entries.push({ ...node, entryPoints: [join(root, 'src/server/main.ts')], outfile: join(root, 'dist/server.js') });
entries.push({ ...node, entryPoints: [join(root, 'src/server/analysis/worker.ts')], outfile: join(root, 'dist/worker.js') });
// The debug adapter, in a worker thread of the extension host (`gradlens dap` is in the CLI bundle).
entries.push({ ...node, entryPoints: [join(root, 'src/debug/worker.ts')], outfile: join(root, 'dist/debug.js') });
const webview = join(root, 'webview/main.ts');
if (existsSync(webview)) {
  entries.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: [webview], outfile: join(root, 'dist/webview/webview.js'), loader: { '.css': 'text' } });
}

// The wasm kernels first: the bundles inline their generated modules.
await buildWasm();

if (watch) {
  const contexts = await Promise.all(entries.map((e) => esbuild.context(e)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching for changes');
} else {
  const started = Date.now();
  await Promise.all(entries.map((e) => esbuild.build(e)));
  console.log(`esbuild: built ${entries.length} bundles in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
