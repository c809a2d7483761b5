// Definition, references, highlights and rename on the examples, with the language's scope rules:
// gates are closed, a gate input and its `d<input>` rename together, a gate's dimensions are its
// own, `expect` targets and gate calls are references.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { TextEdit } from '../../src/core/diagnostics';
import { definition, documentHighlights, findReferences, prepareRename, rename, symbolAt } from '../../src/core/ide';
import { applyEdits, example, nth, slice } from './helpers/ide';

const twoLayer = example('two-layer-net.grad');
const affineGate = example('affine-gate.grad');

function renamed(text: string, offset: number, newName: string): string {
  const r = rename(text, offset, newName);
  if (!Array.isArray(r)) throw new Error(r.error);
  return applyEdits(text, r);
}

const errorsOf = (text: string) => analyze(text, { staticOnly: true }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);

test('references of W1 in the two-layer net: its declaration and both uses', () => {
  const at = nth(twoLayer, 'W1:');
  const refs = findReferences(twoLayer, at, true);
  assert.deepEqual(refs.map((r) => r.start.line), [13, 19, 21]);
  assert.ok(refs.every((r) => slice(twoLayer, r) === 'W1'));
  assert.deepEqual(findReferences(twoLayer, nth(twoLayer, 'l2(W1)', 0, 3), false).map((r) => r.start.line), [19, 21]);
});

test('definition and highlights: a use goes to its definition; writes and reads are told apart', () => {
  const use = nth(twoLayer, 'h1 @ W2');
  assert.equal(definition(twoLayer, use)?.start.line, 19);
  assert.equal(definition(twoLayer, use + 2)?.start.line, 19, 'the end of a name still counts');
  assert.deepEqual(
    documentHighlights(twoLayer, use).map((h) => [h.range.start.line, h.kind]),
    [
      [19, 'write'],
      [20, 'read'],
      [23, 'read'],
    ],
  );
  assert.equal(definition(twoLayer, nth(twoLayer, 'softmax_ce')), null, 'an operation is not defined in the file');
  assert.equal(findReferences(twoLayer, nth(twoLayer, 'l2('), true).length, 2, 'the references of an op are its calls');
});

test('gates are closed: the gate\'s W is not the file\'s, and d<out> is defined by the header\'s output', () => {
  const refs = findReferences(affineGate, nth(affineGate, 'W: [K, M]'), true);
  assert.deepEqual(refs.map((r) => r.start.line), [16, 17, 19]);
  const sym = symbolAt(affineGate, nth(affineGate, 'X @ W'));
  assert.equal(sym?.kind, 'gateInput');
  assert.equal(sym?.gate, 'affine');
  assert.equal(symbolAt(affineGate, nth(affineGate, 'input X', 0, 6))?.gate, null);
  assert.equal(findReferences(affineGate, nth(affineGate, 'input X', 0, 6), true).length, 2, 'the file\'s X: declaration and the call');
  const dout = definition(affineGate, nth(affineGate, 'dout @ W.T'));
  assert.equal(dout && slice(affineGate, dout), 'out');
  assert.equal(dout?.start.line, 16);
  const gate = definition(affineGate, nth(affineGate, 'affine(X, W1'));
  assert.deepEqual(gate?.start, { line: 16, character: 5 }, 'a call goes to the gate');
});

test('prepareRename refuses keywords, operations, numbers, keyword arguments and inits, saying why', () => {
  assert.deepEqual(prepareRename(twoLayer, nth(twoLayer, 'relu(')), { error: '`relu` is an operation: it cannot be renamed' });
  assert.deepEqual(prepareRename(twoLayer, nth(twoLayer, 'param W1')), { error: '`param` is a keyword: it cannot be renamed' });
  assert.deepEqual(prepareRename(twoLayer, nth(twoLayer, '1e-3')), { error: '`1e-3` is a number: it cannot be renamed' });
  assert.deepEqual(prepareRename(twoLayer, nth(twoLayer, '~ he', 0, 2)), { error: '`he` is a built-in init: it cannot be renamed' });
  assert.deepEqual(prepareRename(affineGate, nth(affineGate, 'axis=0')), { error: '`axis` is an argument of `sum`: it cannot be renamed' });
  assert.ok('error' in prepareRename(twoLayer, nth(twoLayer, ' = relu')));
  const ok = prepareRename(twoLayer, nth(twoLayer, 'W1:'));
  assert.ok('range' in ok);
  assert.equal(ok.placeholder, 'W1');
  assert.ok('error' in (rename(twoLayer, nth(twoLayer, 'relu('), 'rectify') as { error: string }));
});

test('renaming a gate input renames its dW lines and leaves the file alone', () => {
  const text = renamed(affineGate, nth(affineGate, 'W: [K, M]'), 'V');
  const gate = text.slice(text.indexOf('gate affine'), text.indexOf('gate relu_layer'));
  assert.match(gate, /gate affine\(X: \[B, K\], V: \[K, M\], b: \[M\]\)/);
  assert.match(gate, /out = X @ V \+ b/);
  assert.match(gate, /dX = dout @ V\.T/);
  assert.match(gate, /dV = X\.T @ dout/);
  assert.equal(text.slice(0, text.indexOf('gate affine')), affineGate.slice(0, affineGate.indexOf('gate affine')), 'nothing above the gate changes');
  assert.ok(text.includes('param W1: [D, H] ~ he') && text.includes('affine(X, W1, b1)'));
  assert.deepEqual(errorsOf(text), []);
  // From the gradient: dW → dV renames W too.
  assert.equal(renamed(affineGate, nth(affineGate, 'dW ='), 'dV'), text);
  assert.match((rename(affineGate, nth(affineGate, 'dW ='), 'V') as { error: string }).error, /must start with `d`/);
});

test('renaming a gate\'s output renames d<out>; renaming a gate renames its calls', () => {
  const text = renamed(affineGate, nth(affineGate, 'out: [B, M] {'), 'z');
  const gate = text.slice(text.indexOf('gate affine'), text.indexOf('gate relu_layer'));
  assert.match(gate, /-> z: \[B, M\] \{\n {2}z = X @ W \+ b/);
  assert.match(gate, /dX = dz @ W\.T/);
  assert.ok(text.includes('gate relu_layer(x: [B, M]) -> out: [B, M]'), 'the other gate\'s out is another name');
  assert.deepEqual(errorsOf(text), []);
  const g = renamed(affineGate, nth(affineGate, 'affine('), 'dense');
  assert.ok(g.includes('gate dense(') && g.includes('relu_layer(dense(X, W1, b1))') && g.includes('scores = dense(h1, W2, b2)'));
  assert.deepEqual(errorsOf(g), []);
});

test('renaming a dimension renames the dims line and every shape, but not a gate\'s own dimension', () => {
  const convGate = example('conv-gate.grad');
  const text = renamed(convGate, nth(convGate, 'N = 2'), 'Batch');
  assert.ok(text.includes('dims Batch = 2, C = 3'));
  assert.ok(text.includes('input x: [Batch, C, S, S]') && text.includes('input y: int[Batch] in 0..Y'));
  assert.ok(text.includes('reshape(pooled, [Batch, 64])'), 'a dimension used as an attribute');
  assert.ok(text.includes('gate conv_relu_pool(x: [N, C, S, S]'), 'the gate\'s N is local to it');
  assert.deepEqual(errorsOf(text), []);
  const local = renamed(affineGate, nth(affineGate, '[B, K]', 0, 1), 'Rows');
  assert.ok(local.includes('gate affine(X: [Rows, K], W: [K, M], b: [M]) -> out: [Rows, M]'));
  assert.ok(local.includes('gate relu_layer(x: [B, M])'), 'another gate\'s B is another dimension');
});

test('expect targets are references: renaming q renames `expect value q`', () => {
  const circuit = example('circuit.grad');
  const text = renamed(circuit, nth(circuit, '\nq = x + y', 0, 1), 'sum_xy');
  assert.ok(text.includes('sum_xy = x + y') && text.includes('f = sum_xy * z') && text.includes('expect value sum_xy == 3'));
  assert.equal(findReferences(circuit, nth(circuit, 'grad x', 0, 5), true).length, 3);
});

test('a parenthesised name is renamed inside its parentheses', () => {
  const text = 'input x = 2\ny = (x) * ((x) + 1)\n';
  assert.equal(renamed(text, 6, 'z'), 'input z = 2\ny = (z) * ((z) + 1)\n');
  assert.deepEqual(findReferences(text, nth(text, '((x)', 0, 2), true).map((r) => r.start.character), [6, 5, 12]);
});

test('a gate input passed by name (`W=W1`) is a reference of the input', () => {
  const text = affineGate.replace('scores = affine(h1, W2, b2)', 'scores = affine(h1, W=W2, b=b2)');
  const out = renamed(text, nth(text, 'W: [K, M]'), 'V');
  assert.ok(out.includes('scores = affine(h1, V=W2, b=b2)'));
  assert.deepEqual(errorsOf(out), []);
});

test('new names are checked: syntax, keywords, operations, clashes in the same scope (the gradient\'s too)', () => {
  const err = (text: string, offset: number, name: string) => (rename(text, offset, name) as { error: string }).error;
  const w1 = nth(twoLayer, 'W1:');
  assert.match(err(twoLayer, w1, '1W'), /not a valid name/);
  assert.match(err(twoLayer, w1, 'input'), /keyword/);
  assert.match(err(twoLayer, w1, 'relu'), /is an operation/);
  assert.equal(err(twoLayer, w1, 'b1'), '`b1` is already a param in this file (line 15)');
  assert.match(err(twoLayer, w1, 'N'), /already a dimension/);
  const gateW = nth(affineGate, 'W: [K, M]');
  assert.equal(err(affineGate, gateW, 'b'), '`b` is already an input in gate `affine` (line 17)');
  assert.match(err(affineGate, gateW, 'ropout'), /renaming `dW` to `dropout` along with it: `dropout` is an operation/);
  const withHelper = affineGate.replace('    db = sum(dout, axis=0)', '    dV = dout\n    db = sum(dV, axis=0)');
  assert.match(err(withHelper, nth(withHelper, 'W: [K, M]'), 'V'), /`dV` is already a gradient in gate `affine`.*would also rename `dW`/);
  assert.deepEqual(rename(twoLayer, w1, 'W1'), [] as TextEdit[]);
  // Gates are closed: a top-level name may take a name a gate uses inside.
  assert.deepEqual(errorsOf(renamed(affineGate, nth(affineGate, 'W1:'), 'W')), []);
});
