// GradLens' language server in a second real client: Neovim's built-in LSP client (Debian's
// neovim, headless, installed by scripts/setup-tools.sh), talking to `gradlens lsp --stdio` as a
// Neovim user's configuration would. The Lua driver (driver.lua) runs a plan of steps and writes
// what Neovim received; the assertions are here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { closingSteps, commonSteps, EditorPlan, ROOT, SCRATCH, useOfW1 } from '../editors/plan';

const NVIM = process.env.GRADLENS_NVIM ?? 'nvim';

interface Diagnostic {
  line: number;
  severity: number;
  code: string;
  message: string;
}

let plan: EditorPlan;
const result = <T>(name: string): T => plan.result<T>(name, 'Neovim');
const lineOf = (file: string, prefix: string): number => plan.lineOf(file, prefix);

before(() => {
  plan = new EditorPlan('gradlens-nvim-', { 'typo.grad': SCRATCH.typo, 'typing.grad': 'dims N = 4, C = 3\ninput s: [N, C]\ninput y: int[N] in 0..C\nh = rel\nloss = softmax_ce(s, \n', 'messy.grad': SCRATCH.messy });
  const step = plan.step.bind(plan);
  const path = plan.path.bind(plan);

  commonSteps(plan);
  step('signature softmax_ce', { action: 'signatureHelp', file: path('typing.grad'), line: 4, character: 21 });
  const w1 = useOfW1(plan);
  step('definition W1', { action: 'definition', ...w1 });
  step('references W1', { action: 'references', ...w1, includeDeclaration: true });
  step('outline', { action: 'documentSymbol', file: w1.file });
  closingSteps(plan);

  const planFile = plan.write();
  const outFile = plan.path('out.json');
  const cmd = [process.execPath, join(ROOT, 'bin', 'gradlens.js'), 'lsp', '--stdio'];
  const r = spawnSync(NVIM, ['--headless', '--clean', '-n', '-c', `luafile ${join(__dirname, 'driver.lua')}`], {
    cwd: plan.dir,
    env: { ...process.env, GRADLENS_NVIM_PLAN: planFile, GRADLENS_NVIM_OUT: outFile, GRADLENS_NVIM_CMD: JSON.stringify(cmd) },
    timeout: 180_000,
    encoding: 'utf8',
  });
  assert.equal(r.error, undefined, `could not run ${NVIM}: ${String(r.error)} (install Debian's neovim: scripts/setup-tools.sh)`);
  const out = JSON.parse(readFileSync(outFile, 'utf8')) as { results: Record<string, unknown>[]; error: unknown };
  assert.equal(out.error, null, `the Neovim driver failed: ${String(out.error)}\n${r.stderr}`);
  plan.setResults(out.results);
});

after(() => plan?.dispose());

test('diagnostics: a broken gate gets its error on the wrong d<input> line', () => {
  const r = result<{ ok: boolean; diagnostics: Diagnostic[] }>('broken gate');
  assert.ok(r.ok, 'diagnostics arrived');
  const d = r.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.message.includes('of `'));
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.equal(d.severity, 1);
  assert.equal(d.line, lineOf('broken/wrong-sign.grad', '    db = dout'));
});

test('diagnostics: a typo says did you mean, a clean file gets an empty list', () => {
  const typo = result<{ diagnostics: Diagnostic[] }>('typo').diagnostics;
  assert.ok(typo.some((d) => d.code === 'undefined-name' && /did you mean `y`\?/i.test(d.message)), JSON.stringify(typo));
  const clean = result<{ ok: boolean; diagnostics: Diagnostic[] }>('clean');
  assert.ok(clean.ok, 'an empty list was published for circuit.grad');
  assert.deepEqual(clean.diagnostics, []);
});

test('hover: the value and gradient of q in the lecture circuit', () => {
  const r = result<{ result?: { contents: { value: string } }; error?: string }>('hover q');
  const h = r.result;
  assert.ok(h, `no hover from the server: ${r.error ?? 'null result'}`);
  assert.match(h.contents.value, /value \*\*3\*\*/);
  assert.match(h.contents.value, /∂f\/∂q \*\*-4\*\*/);
});

test('completion: typing `rel` offers relu', () => {
  const r = result<{ labels: string[]; error?: string }>('complete rel');
  assert.ok(r.labels.includes('relu'), `${r.error ?? ''} ${r.labels.slice(0, 30).join(', ')}`);
});

test('signature help inside softmax_ce( names the active parameter', () => {
  const r = result<{ result: { signatures: { label: string }[]; activeParameter: number } }>('signature softmax_ce').result;
  assert.match(r.signatures[0].label, /^softmax_ce\(/);
  assert.equal(r.activeParameter, 1);
});

test('definition and references of W1', () => {
  const def = result<{ result: { range: { start: { line: number } } } | { range: { start: { line: number } } }[] }>('definition W1').result;
  const first = Array.isArray(def) ? def[0] : def;
  assert.equal(first.range.start.line, lineOf('two-layer-net.grad', 'param W1'));
  const refs = result<{ result: { range: { start: { line: number } } }[] }>('references W1').result;
  const lines = new Set(refs.map((r) => r.range.start.line));
  assert.ok(lines.has(lineOf('two-layer-net.grad', 'param W1')) && lines.has(lineOf('two-layer-net.grad', 'h1 ')), JSON.stringify(refs));
  assert.ok(refs.length >= 3, 'the declaration, the product and the L2 term');
});

test('document symbols: the outline of the two-layer net', () => {
  const names = result<{ result: { name: string }[] }>('outline').result.map((s) => s.name);
  for (const n of ['X', 'y', 'W1', 'b1', 'W2', 'b2', 'h1', 'scores', 'loss']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
});

test('rename: the gate input W and its dW become Wt and dWt in Neovim\'s buffer', () => {
  const r = result<{ text: string; error?: string }>('rename W');
  assert.equal(r.error, undefined);
  assert.match(r.text, /gate affine\(X: \[B, K\], Wt: \[K, M\]/);
  assert.match(r.text, /out = X @ Wt \+ b/);
  assert.match(r.text, /dWt = X\.T @ dout/);
  assert.match(r.text, /dX = dout @ Wt\.T/);
  assert.match(r.text, /param W1: \[D, H\]/, 'file-level names are left alone');
});

test('formatting: the canonical layout, applied by Neovim', () => {
  assert.equal(result<{ text: string }>('format').text, 'input x = 2\ny = x * x');
});
