// GradLens' language server in a second real client: Neovim's built-in LSP client (Debian's
// neovim, headless, installed by scripts/setup-tools.sh), talking to `gradlens lsp --stdio` as a
// Neovim user's configuration would. The Lua driver (driver.lua) runs a plan of steps and writes
// what Neovim received; the assertions are here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const root = join(__dirname, '..', '..');
const NVIM = process.env.GRADLENS_NVIM ?? 'nvim';

interface Step {
  action: string;
  file: string;
  line?: number;
  character?: number;
  [k: string]: unknown;
}

interface Diagnostic {
  line: number;
  severity: number;
  code: string;
  message: string;
}

let dir: string;
let results: Record<string, unknown>[] = [];
const plan: Step[] = [];
const at = new Map<string, number>();

/** Adds a step to the plan; its result is `result(name)` once Neovim has run the plan. */
function step(name: string, s: Step): void {
  at.set(name, plan.length);
  plan.push(s);
}

function result<T>(name: string): T {
  const i = at.get(name);
  assert.ok(i !== undefined, `no step ${name}`);
  return results[i] as T;
}

function lineOf(file: string, prefix: string): number {
  const i = readFileSync(join(dir, file), 'utf8').split('\n').findIndex((l) => l.startsWith(prefix));
  assert.ok(i >= 0, `${file} has no line starting with ${prefix}`);
  return i;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gradlens-nvim-'));
  cpSync(join(root, 'examples'), dir, { recursive: true });
  writeFileSync(join(dir, 'typo.grad'), 'input x = 2\ninput y = 3\nq = x * yy\n');
  writeFileSync(join(dir, 'typing.grad'), 'dims N = 4, C = 3\ninput s: [N, C]\ninput y: int[N] in 0..C\nh = rel\nloss = softmax_ce(s, \n');
  writeFileSync(join(dir, 'messy.grad'), 'input   x=2\ny=x*x\n');

  step('broken gate', { action: 'diagnostics', file: join(dir, 'broken', 'wrong-sign.grad') });
  step('typo', { action: 'diagnostics', file: join(dir, 'typo.grad') });
  step('clean', { action: 'diagnostics', file: join(dir, 'circuit.grad'), expect_empty: true });
  step('hover q', { action: 'hover', file: join(dir, 'circuit.grad'), line: lineOf('circuit.grad', 'q = '), character: 0 });
  step('complete rel', { action: 'completion', file: join(dir, 'typing.grad'), line: 3, character: 7 });
  step('signature softmax_ce', { action: 'signatureHelp', file: join(dir, 'typing.grad'), line: 4, character: 21 });
  const net = 'two-layer-net.grad';
  const useW1 = lineOf(net, 'h1 ');
  const w1Col = readFileSync(join(dir, net), 'utf8').split('\n')[useW1].indexOf('W1');
  step('definition W1', { action: 'definition', file: join(dir, net), line: useW1, character: w1Col });
  step('references W1', { action: 'references', file: join(dir, net), line: useW1, character: w1Col, includeDeclaration: true });
  step('outline', { action: 'documentSymbol', file: join(dir, net) });
  const gateHeader = lineOf('affine-gate.grad', 'gate affine(');
  step('rename W', { action: 'rename', file: join(dir, 'affine-gate.grad'), line: gateHeader, character: readFileSync(join(dir, 'affine-gate.grad'), 'utf8').split('\n')[gateHeader].indexOf('W:'), newName: 'Wt' });
  step('format', { action: 'formatting', file: join(dir, 'messy.grad') });

  const planFile = join(dir, 'plan.json');
  const outFile = join(dir, 'out.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const cmd = [process.execPath, join(root, 'bin', 'gradlens.js'), 'lsp', '--stdio'];
  const r = spawnSync(NVIM, ['--headless', '--clean', '-n', '-c', `luafile ${join(__dirname, 'driver.lua')}`], {
    cwd: dir,
    env: { ...process.env, GRADLENS_NVIM_PLAN: planFile, GRADLENS_NVIM_OUT: outFile, GRADLENS_NVIM_CMD: JSON.stringify(cmd) },
    timeout: 180_000,
    encoding: 'utf8',
  });
  assert.equal(r.error, undefined, `could not run ${NVIM}: ${String(r.error)} (install Debian's neovim: scripts/setup-tools.sh)`);
  const out = JSON.parse(readFileSync(outFile, 'utf8')) as { results: Record<string, unknown>[]; error: unknown };
  assert.equal(out.error, null, `the Neovim driver failed: ${String(out.error)}\n${r.stderr}`);
  results = out.results;
});

after(() => rmSync(dir, { recursive: true, force: true }));

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
  const h = result<{ result: { contents: { value: string } } }>('hover q').result;
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
