// Bundles the integration suite for the extension host: out/integration/runner/index.js (the
// mocha bootstrap VS Code loads as extensionTestsPath) and one bundle per test/integration/suite/
// *.test.ts. `vscode` is the host's; mocha stays external so the runner and every suite share one
// instance (its `suite`/`test` globals are bound when the runner loads the files).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'test', 'integration');
const out = join(root, 'out', 'integration');

function collect(d) {
  return readdirSync(d).flatMap((name) => {
    const p = join(d, name);
    if (statSync(p).isDirectory()) return collect(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const entryPoints = [join(src, 'runner', 'index.ts'), ...collect(join(src, 'suite'))];
rmSync(out, { recursive: true, force: true });
const started = Date.now();
await esbuild.build({
  entryPoints,
  outbase: src,
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(`esbuild: built ${entryPoints.length} integration bundles in ${Date.now() - started} ms`);
