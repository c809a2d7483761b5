// `npm run package`: a production .vsix with @vscode/vsce (its `vscode:prepublish` runs
// `build:production`). Before packaging, checks the file list against what an installed extension
// needs: every file the manifest points at is there, and nothing else slips through the
// .vscodeignore allowlist (sources, tests, maps, node_modules). Prints the path and size.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, `${pkg.name}-${pkg.version}.vsix`);
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
// No repository field (yet): keep README links relative; they point at files inside the package.
const flags = ['--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links'];

function run(args) {
  const r = spawnSync(process.execPath, [vsce, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    console.error(`package: vsce ${args[0]} failed (exit ${r.status})`);
    process.exit(1);
  }
  return r.stdout;
}

const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^language-configuration\.json$/,
  /^dist\/[\w/-]+\.(js|css|wasm)$/,
  /^syntaxes\/[\w.-]+\.json$/,
  /^snippets\/[\w.-]+\.json$/,
  /^media\/[\w./-]+\.(svg|png|gif|jpg|css|md)$/,
  /^examples\/[\w.-]+\.grad$/,
  /^docs\/[\w.-]+\.md$/,
];
const strip = (p) => p.replace(/^\.\//, '');
const c = pkg.contributes ?? {};
const required = [
  pkg.main,
  pkg.icon,
  ...(c.languages ?? []).flatMap((l) => [l.configuration, l.icon?.light, l.icon?.dark]),
  ...(c.grammars ?? []).map((g) => g.path),
  ...(c.snippets ?? []).map((s) => s.path),
  ...(c.viewsContainers?.activitybar ?? []).map((v) => v.icon),
  ...(c.walkthroughs ?? []).flatMap((w) => w.steps.flatMap((st) => [st.media?.markdown, st.media?.image, st.media?.svg].filter((m) => typeof m === 'string'))),
  'dist/worker.js',
  'dist/server.js',
  'dist/debug.js',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
]
  .filter(Boolean)
  .map(strip);

// vsce runs vscode:prepublish (the production build) only when packaging; build first so the
// list below is checked against the bundles that will be shipped.
const build = spawnSync('npm', ['run', '--silent', 'build:production'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = run(['ls', ...flags.filter((f) => f === '--no-dependencies')]).split('\n').map((l) => l.trim()).filter(Boolean);
const unexpected = files.filter((f) => !allowed.some((re) => re.test(f)));
const missing = [...new Set(required)].filter((f) => !files.includes(f));
if (unexpected.length || missing.length) {
  if (unexpected.length) console.error(`package: files that should not be packaged (fix .vscodeignore):\n  ${unexpected.join('\n  ')}`);
  if (missing.length) console.error(`package: files the manifest needs but the package lacks:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
run(['package', ...flags, '--out', out]);
if (!existsSync(out)) {
  console.error(`package: vsce did not write ${out}`);
  process.exit(1);
}
const kb = (statSync(out).size / 1024).toFixed(1);
console.log(`package: ${out.slice(root.length)} · ${files.length} files · ${kb} KiB`);
