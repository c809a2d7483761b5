// GradLens' language server in a third real client: Emacs with eglot (Debian's emacs-nox and
// elpa-eglot, in batch, installed by scripts/setup-tools.sh), talking to `gradlens lsp --stdio`
// through the configuration the README shows: the test reads that block from README.md, so the
// documented configuration is the tested one. The Elisp driver (driver.el) runs a plan of steps
// and writes what Emacs got; the assertions are here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { closingSteps, commonSteps, EditorPlan, ROOT, SCRATCH, useOfW1 } from '../editors/plan';

const EMACS = process.env.GRADLENS_EMACS ?? 'emacs';

interface Diagnostic {
  line: number;
  type: string;
  code: string | null;
  message: string;
}

let plan: EditorPlan;
const result = <T>(name: string): T => plan.result<T>(name, 'Emacs');
const lineOf = (file: string, prefix: string): number => plan.lineOf(file, prefix);

/** The README's Emacs configuration: the ```elisp block of the Emacs paragraph. */
function readmeEmacsConfig(readme: string): string {
  const m = /^Emacs — tested[^]*?```elisp\n([^]*?)```/m.exec(readme);
  assert.ok(m, 'README.md has an "Emacs — tested" paragraph followed by an ```elisp block');
  assert.ok(m[1].includes('/path/to/gradlens/'), 'the README block names /path/to/gradlens/');
  return m[1];
}

before(() => {
  plan = new EditorPlan('gradlens-emacs-', { 'typo.grad': SCRATCH.typo, 'typing.grad': 'dims N = 4, C = 3\ninput s: [N, C]\ninput y: int[N] in 0..C\nh = rel\n', 'messy.grad': SCRATCH.messy });
  commonSteps(plan);
  const w1 = useOfW1(plan);
  plan.step('definition W1', { action: 'definition', ...w1, character: w1.character + 1 });
  closingSteps(plan);

  const config = readmeEmacsConfig(readFileSync(join(ROOT, 'README.md'), 'utf8')).replaceAll('/path/to/gradlens/', `${ROOT}/`);
  const configFile = plan.path('config.el');
  const outFile = plan.path('out.json');
  writeFileSync(configFile, config);
  const planFile = plan.write();
  // The configuration runs `node` from PATH, as a user's would: this Node first.
  const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  const r = spawnSync(EMACS, ['--batch', '-l', join(__dirname, 'driver.el')], {
    cwd: plan.dir,
    env: { ...process.env, PATH, GRADLENS_EMACS_CONFIG: configFile, GRADLENS_EMACS_PLAN: planFile, GRADLENS_EMACS_OUT: outFile },
    timeout: 180_000,
    encoding: 'utf8',
  });
  assert.equal(r.error, undefined, `could not run ${EMACS}: ${String(r.error)} (install Debian's emacs-nox and elpa-eglot: scripts/setup-tools.sh)`);
  let out: { results: Record<string, unknown>[]; error: unknown };
  try {
    out = JSON.parse(readFileSync(outFile, 'utf8')) as typeof out;
  } catch {
    assert.fail(`the Emacs driver wrote no results (exit ${String(r.status)}):\n${r.stderr.slice(-4000)}`);
  }
  assert.equal(out.error, null, `the Emacs driver failed: ${String(out.error)} (eglot comes from Debian's elpa-eglot: scripts/setup-tools.sh)\n${r.stderr.slice(-4000)}`);
  plan.setResults(out.results);
});

after(() => plan?.dispose());

test('diagnostics in flymake: a broken gate gets its error on the wrong d<input> line', () => {
  const r = result<{ ok: boolean; diagnostics: Diagnostic[] }>('broken gate');
  assert.ok(r.ok, 'diagnostics arrived');
  const d = r.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.message.includes('of `'));
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.equal(d.type, 'eglot-error');
  assert.equal(d.line, lineOf('broken/wrong-sign.grad', '    db = dout'));
});

test('diagnostics in flymake: a typo says did you mean, a clean file gets an empty list', () => {
  const typo = result<{ diagnostics: Diagnostic[] }>('typo').diagnostics;
  const d = typo.find((x) => x.code === 'undefined-name');
  assert.ok(d, JSON.stringify(typo));
  assert.match(d.message, /did you mean `y`\?/i);
  assert.equal(d.line, 2);
  const clean = result<{ ok: boolean; diagnostics: Diagnostic[] }>('clean');
  assert.ok(clean.ok, 'an empty list was published for circuit.grad');
  assert.deepEqual(clean.diagnostics, []);
});

test('hover (eldoc): the value and gradient of q in the lecture circuit', () => {
  const h = result<{ hover: string }>('hover q').hover;
  // eglot shows the Markdown as is, or rendered (no ** left) when markdown-mode is installed.
  assert.match(h, /value \**3\**/);
  assert.match(h, /∂f\/∂q \**-4\**/);
});

test('completion-at-point: typing `rel` offers relu', () => {
  const r = result<{ prefix: string; candidates: string[] }>('complete rel');
  assert.equal(r.prefix, 'rel');
  assert.ok(r.candidates.includes('relu'), r.candidates.slice(0, 30).join(', '));
  assert.ok(r.candidates.every((c) => c.startsWith('rel')), r.candidates.join(', '));
});

test('xref-find-definitions (M-.) on W1 jumps to its param line', () => {
  const r = result<{ file: string; line: number; character: number }>('definition W1');
  assert.equal(r.file, plan.path('two-layer-net.grad'));
  const line = lineOf('two-layer-net.grad', 'param W1');
  assert.equal(r.line, line);
  assert.equal(r.character, plan.columnOf('two-layer-net.grad', line, 'W1'));
});

test('eglot-rename: the gate input W and its dW become Wt and dWt in the buffer', () => {
  const text = result<{ text: string }>('rename W').text;
  assert.match(text, /gate affine\(X: \[B, K\], Wt: \[K, M\]/);
  assert.match(text, /out = X @ Wt \+ b/);
  assert.match(text, /dWt = X\.T @ dout/);
  assert.match(text, /dX = dout @ Wt\.T/);
  assert.match(text, /param W1: \[D, H\]/, 'file-level names are left alone');
});

test('eglot-format-buffer: the canonical layout', () => {
  assert.equal(result<{ text: string }>('format').text, 'input x = 2\ny = x * x\n');
});
