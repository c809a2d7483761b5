// `npm test`: every test layer, in order — unit (node:test), webview (the dashboard in Chromium),
// lsp (the language server over stdio, from a plain client, Neovim and Emacs), dap (the debug adapter over
// stdio), integration (mocha in code-server's extension host), end-to-end (Chromium against code-server with the packaged .vsix installed).
// Installs the missing tools first (scripts/setup-tools.sh: quick when present). Runs every layer
// even after one fails, prints a table and a closing `N passed, N failed, N skipped` line, writes
// test-results/summary/total.json, and exits non-zero if any layer failed.
//   --only=unit,integration   run only these layers (also GRADLENS_TEST_LAYERS)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { specSummary } from './specSummary.mjs';

const root = new URL('..', import.meta.url).pathname;
const summaryDir = join(root, 'test-results', 'summary');
const only = (process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? process.env.GRADLENS_TEST_LAYERS ?? '').split(',').filter(Boolean);
const node = process.execPath;

/** Runs a command with its output passed through; resolves with the exit code and the stdout text. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => {
      process.stdout.write(b);
      out += b.toString();
    });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

function must(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`test: \`${cmd} ${args.join(' ')}\` failed`);
    process.exit(r.status ?? 1);
  }
}

const layers = [
  {
    name: 'unit',
    async run() {
      const { code, out } = await run(node, [join(root, 'scripts', 'run-unit-tests.mjs')]);
      return { code, ...specSummary(out) };
    },
  },
  {
    // The dashboard webview in Chromium, on its own page with the extension's CSP.
    name: 'webview',
    async run() {
      const files = ['html.test.ts', 'dashboard.test.ts', 'charts.test.ts'].map((f) => join(root, 'test', 'webview', f));
      const { code, out } = await run(node, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
      return { code, ...specSummary(out) };
    },
  },
  {
    // The language server over stdio, as every editor but VS Code runs it: a plain LSP client
    // (test/lsp/), Neovim's built-in client (test/neovim/) and Emacs' eglot (test/emacs/).
    name: 'lsp',
    async run() {
      const files = [join(root, 'test', 'lsp', 'server.test.ts'), join(root, 'test', 'neovim', 'neovim.test.ts'), join(root, 'test', 'emacs', 'emacs.test.ts')];
      const { code, out } = await run(node, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
      return { code, ...specSummary(out) };
    },
  },
  {
    // The debug adapter over stdio (`gradlens dap`), driven by @vscode/debugadapter-testsupport's DebugClient.
    name: 'dap',
    async run() {
      const { code, out } = await run(node, ['--import', 'tsx', '--test', '--test-reporter=spec', join(root, 'test', 'dap', 'adapter.test.ts')]);
      return { code, ...specSummary(out) };
    },
  },
  {
    name: 'integration',
    async run() {
      must(node, [join(root, 'scripts', 'build-tests.mjs')]);
      const { code } = await run(node, ['--import', 'tsx', join(root, 'test', 'integration', 'runner', 'codeServerDriver.ts')]);
      return { code, ...readSummary('integration') };
    },
  },
  {
    name: 'e2e',
    async run() {
      // The end-to-end tests install the production .vsix, so they test what would be shipped.
      const pack = await run(node, [join(root, 'scripts', 'package.mjs')]);
      if (pack.code !== 0) return { code: pack.code, passed: 0, failed: 1, skipped: 0 };
      const { code } = await run(node, ['--import', 'tsx', join(root, 'test', 'e2e', 'run.ts')]);
      // Back to the development build (with source maps) that the other scripts expect.
      must(node, [join(root, 'scripts', 'build.mjs')]);
      return { code, ...readSummary('e2e') };
    },
  },
];

function readSummary(name) {
  const f = join(summaryDir, `${name}.json`);
  if (!existsSync(f)) return { passed: 0, failed: 0, skipped: 0 };
  return JSON.parse(readFileSync(f, 'utf8'));
}

const started = Date.now();
must('bash', [join(root, 'scripts', 'setup-tools.sh')]);
must(node, [join(root, 'scripts', 'build.mjs')]);
mkdirSync(summaryDir, { recursive: true });
const results = [];
for (const layer of layers) {
  if (only.length && !only.includes(layer.name)) continue;
  rmSync(join(summaryDir, `${layer.name}.json`), { force: true });
  const t = Date.now();
  console.log(`\n=== ${layer.name} tests ===`);
  const r = await layer.run();
  // A layer that failed without counting a failure (crash, timeout, no tests) still counts as one.
  if (r.code !== 0 && r.failed === 0) r.failed = 1;
  if (r.code === 0 && r.passed === 0) {
    console.error(`test: the ${layer.name} layer ran no test`);
    r.failed = 1;
  }
  results.push({ layer: layer.name, ...r, seconds: Math.round((Date.now() - t) / 1000) });
}

const total = results.reduce((a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
writeFileSync(join(summaryDir, 'total.json'), JSON.stringify({ ...total, layers: results }, null, 2));
console.log('\nlayer        passed  failed  skipped  seconds');
for (const r of results) console.log(`${r.layer.padEnd(12)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}  ${String(r.seconds).padStart(7)}`);
console.log(`test: all layers in ${Math.round((Date.now() - started) / 1000)} s`);
// The failed tests by name, last: a CI log that keeps only its tail still says which ones.
for (const r of results) for (const title of r.retriedTitles ?? []) console.log(`RETRIED ${r.layer}: ${title} (its first try failed; the layer's log has why)`);
for (const r of results) {
  for (const title of r.failedTitles ?? []) console.log(`FAILED ${r.layer}: ${title}`);
  if (r.failed > 0 && !(r.failedTitles ?? []).length) console.log(`FAILED ${r.layer}: the layer failed (exit ${r.code}) without naming a test: its log above says why`);
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 || results.some((r) => r.code !== 0) ? 1 : 0);
