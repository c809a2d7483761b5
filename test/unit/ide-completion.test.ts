// Completion on incomplete text: ops with summaries and snippets, names in scope with shapes,
// dimensions in shapes, keyword arguments not yet given, inits after `~`, keywords at statement
// start, the gradients a backward block still owes — and nothing out of scope (gates are closed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RANDOM_INITS } from '../../src/core/engine/init';
import { complete, type CompletionItem } from '../../src/core/ide';
import { ideDocument } from '../../src/core/ide/document';
import { FUNCTIONS } from '../../src/core/ops/registry';
import { cursor, example } from './helpers/ide';

const twoLayer = example('two-layer-net.grad');
const affineGate = example('affine-gate.grad');

/** Completion with the cursor at `|` in `text` after replacing `find` by `replace`. */
function completeAt(text: string, find: string, replace: string): CompletionItem[] {
  assert.ok(text.includes(find), find);
  const c = cursor(text.replace(find, replace));
  return complete(c.text, c.offset);
}

const labels = (items: CompletionItem[]) => items.map((i) => i.label).sort();
const byLabel = (items: CompletionItem[], label: string) => items.find((i) => i.label === label);
const sorted = (items: CompletionItem[]) => [...items].sort((a, b) => a.sortText.localeCompare(b.sortText)).map((i) => i.label);
const topNames = ['W1', 'W2', 'X', 'b1', 'b2', 'reg', 'y'];
const afterReg = 'const reg = 1e-3\n';

test('`h = rel` offers relu with its summary and a snippet of its required argument', () => {
  const items = completeAt(twoLayer, afterReg, `${afterReg}h = rel|`);
  const relu = byLabel(items, 'relu');
  assert.ok(relu);
  assert.equal(relu.kind, 'op');
  assert.equal(relu.insertText, 'relu(${1:x})');
  assert.equal(relu.snippet, true);
  assert.equal(relu.detail, 'relu(x)');
  assert.ok(relu.documentation?.startsWith((FUNCTIONS.get('relu') ?? [])[0].summary));
  assert.deepEqual(relu.range, { start: { line: 18, character: 4 }, end: { line: 18, character: 7 } });
  for (const it of items) assert.match(it.label.toLowerCase(), /^r.*e.*l/, it.label);
});

test('after `softmax_ce(`: the names defined above and ops, no keyword argument, keyword or gradient function', () => {
  const items = completeAt(twoLayer, 'scores = h1 @ W2 + b2', 'scores = softmax_ce(|');
  const names = items.filter((i) => i.kind === 'tensor').map((i) => i.label).sort();
  assert.deepEqual(names, [...topNames, 'h1'].sort(), 'names defined below the cursor are not offered');
  assert.equal(items.filter((i) => i.kind === 'kwarg' || i.kind === 'keyword').length, 0);
  assert.ok(!byLabel(items, 'conv2d_dx'), 'gradient functions exist only in backward blocks');
  assert.ok(byLabel(items, 'sum'));
  assert.equal(byLabel(items, 'W1')?.detail, 'param [D, H]');
  assert.equal(byLabel(items, 'y')?.detail, 'input int[N]');
  assert.equal(byLabel(items, 'h1')?.detail, 'node [N, H]', 'inferred shape of a node');
  assert.equal(byLabel(items, 'softmax_ce')?.insertText, 'softmax_ce(${1:scores}, ${2:y})');
});

test('after `x ~ `: the random inits with their arguments', () => {
  const items = completeAt(twoLayer, afterReg, `${afterReg}param Z: [D] ~ |`);
  assert.deepEqual(labels(items), Object.keys(RANDOM_INITS).sort());
  assert.equal(byLabel(items, 'normal')?.insertText, 'normal(${1:std})');
  assert.equal(byLabel(items, 'uniform')?.insertText, 'uniform(${1:a}, ${2:b})');
  assert.equal(byLabel(items, 'he')?.kind, 'init');
});

test('keyword arguments: only those not yet given, after the tensor names while a tensor is owed', () => {
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}h = sum(X, ax|`)), ['axis=']);
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}h = sum(X, axis=1, |)`)), ['keepdims=']);
  const open = completeAt(twoLayer, afterReg, `${afterReg}h = sum(|`);
  const order = sorted(open);
  assert.ok(order.indexOf('X') < order.indexOf('axis='), 'names first: sum still needs its tensor');
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}h = sum(X, keepdims=|`)), ['false', 'true']);
  assert.equal(byLabel(open, 'axis=')?.detail, 'axis=none');
  // An attribute slot takes literals: no tensor names there.
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}h = leaky_relu(X, |`)), ['alpha=']);
  // A dimension parameter: one_hot(y, C).
  assert.ok(completeAt(twoLayer, afterReg, `${afterReg}h = one_hot(y, |`).every((i) => i.kind === 'dim'));
});

test('keywords at the start of a statement (no second `seed`), none elsewhere', () => {
  const items = completeAt(twoLayer, afterReg, `${afterReg}|`);
  assert.deepEqual(labels(items), ['const', 'dims', 'expect', 'gate', 'input', 'param']);
  assert.equal(byLabel(items, 'param')?.insertText, 'param ');
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}expect |`)), ['grad', 'shape', 'value']);
  assert.deepEqual(labels(completeAt(twoLayer, 'expect shape h1', 'expect value |')), [...topNames, 'h1', 'loss', 'scores'].sort());
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}param |`)), [], 'a new name: nothing to offer');
});

test('dimension names inside shapes; a gate header offers its own dimensions first', () => {
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}param Q: [D, |`)), ['C', 'D', 'H', 'N']);
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}expect shape h1 == [|`)), ['C', 'D', 'H', 'N']);
  const header = completeAt(affineGate, 'b: [M]) -> out: [B, M]', 'b: [M]) -> out: [|');
  const order = sorted(header);
  assert.deepEqual(order.slice(0, 3), ['B', 'K', 'M'], 'the gate\'s own dimensions first');
  assert.ok(order.includes('N'), 'and the file\'s, which gates often reuse');
});

test('inside a gate only the gate\'s own names: its inputs, its intermediates, its dimensions', () => {
  const items = completeAt(affineGate, '  out = X @ W + b', '  h = X @ W\n  out = |');
  const names = items.filter((i) => i.kind === 'tensor').map((i) => i.label).sort();
  assert.deepEqual(names, ['W', 'X', 'b', 'h']);
  assert.equal(byLabel(items, 'W')?.detail, 'input [K, M]');
  assert.ok(!byLabel(items, 'W1') && !byLabel(items, 'h1'), 'gates are closed');
  assert.ok(!byLabel(items, 'dout'), 'the upstream gradient exists only in backward');
  assert.deepEqual(items.filter((i) => i.kind === 'dim').map((i) => i.label).sort(), ['B', 'K', 'M']);
  assert.ok(!byLabel(items, 'relu_layer'), 'a gate declared below is not callable yet');
});

test('in a backward block: the gradients still owed as line starters, then dout and gradient functions', () => {
  const starters = completeAt(affineGate, '    db = sum(dout, axis=0)   # b was broadcast over the batch: sum it back\n', '    |\n');
  assert.deepEqual(labels(starters), ['db']);
  assert.equal(starters[0].insertText, 'db = ');
  assert.equal(starters[0].kind, 'gradient');
  assert.equal(starters[0].detail, 'gradient of b [M]');
  const fresh = completeAt(affineGate, '    dX = dout @ W.T          # [B, M] @ [M, K] = [B, K]\n', '    |\n');
  assert.deepEqual(labels(fresh), ['dX']);
  const expr = completeAt(affineGate, '    db = sum(dout, axis=0)', '    db = |');
  assert.equal(byLabel(expr, 'dout')?.detail, 'upstream gradient of out [B, M]');
  assert.equal(byLabel(expr, 'dW')?.detail, 'gradient of W [K, M]', 'gradients written above are values');
  assert.ok(byLabel(expr, 'conv2d_dx'), 'gradient functions are allowed here');
  assert.ok(byLabel(expr, 'out'), 'the forward values are visible');
  assert.ok(!byLabel(expr, 'W1'));
});

test('after `.` only `T`; in a comment, in a number or after an operand: nothing', () => {
  assert.deepEqual(labels(completeAt(twoLayer, afterReg, `${afterReg}h = X.|`)), ['T']);
  assert.deepEqual(completeAt(twoLayer, afterReg, `${afterReg}# relu |`), []);
  assert.deepEqual(completeAt(twoLayer, afterReg, `${afterReg}h = 1|`), []);
  assert.deepEqual(completeAt(twoLayer, afterReg, `${afterReg}h = X |`), []);
  assert.deepEqual(completeAt(twoLayer, afterReg, `${afterReg}h = X[|`), []);
});

test('a gate call offers the values its inputs take, and the gate itself with a snippet of its inputs', () => {
  const items = completeAt(affineGate, 'scores = affine(h1, W2, b2)', 'scores = affine(h1, |');
  assert.ok(byLabel(items, 'W2'));
  assert.equal(items.filter((i) => i.kind === 'kwarg').length, 0);
  const gate = byLabel(completeAt(affineGate, 'scores = affine(h1, W2, b2)', 'scores = af|'), 'affine');
  assert.equal(gate?.kind, 'gate');
  assert.equal(gate?.insertText, 'affine(${1:X}, ${2:W}, ${3:b})');
  assert.equal(gate?.detail, 'affine(X: [B, K], W: [K, M], b: [M]) -> out: [B, M]');
});

test('on a text not seen yet completion reads up to the cursor\'s line, and answers as with the whole text', () => {
  let k = 0;
  for (const name of ['two-layer-net.grad', 'affine-gate.grad', 'conv-gate.grad', 'rnn.grad', 'softmax-loss.grad']) {
    const base = example(name);
    for (let offset = 0; offset < base.length; offset += 7) {
      const text = `${base}# variant ${k++}\n`; // a new text each time, so nothing is cached
      const fromPrefix = complete(text, offset);
      ideDocument(text);
      assert.deepEqual(fromPrefix, complete(text, offset), `${name} at ${offset}`);
    }
  }
});

test('a half-written line above (ending in `~`, which continues on the next line) does not stop completion on a new statement below', () => {
  const text = 'dims N = 4, D = 3\ninput x: [N, D]\nparam W: [D, D] ~ \nh = rel\n';
  const labels = complete(text, text.indexOf('rel') + 3).map((i) => i.label);
  assert.deepEqual(labels, ['relu']);
  const kw = 'dims N = 4\ninput x: [N]\nq = x +\ninput y: [N] ~ ';
  assert.ok(complete(kw, kw.length).some((i) => i.label === 'randn'), 'a keyword line starts a statement too');
});

test('the names offered in an expression are the symbol index\'s top-level tensors defined above, with duplicates and errors', async () => {
  const { buildIndex } = await import('../../src/core/ide/binder');
  const { program, exampleTexts, mutation } = await import('../fuzz/generators');
  const fc = (await import('fast-check')).default;
  const check = (text: string) => {
    // A new statement after each line: the names defined above it, by the index and by completion.
    const lines = text.split('\n');
    for (let k = 1; k < lines.length; k += Math.max(1, Math.floor(lines.length / 5))) {
      const head = `${lines.slice(0, k).join('\n')}\n`;
      const edited = `${head}zz_new = \n${lines.slice(k).join('\n')}`;
      const at = head.length + 'zz_new = '.length;
      const doc = ideDocument(edited);
      if (doc.gateAt(at) || doc.blockAt(at)) continue;
      const index = buildIndex(doc.program, doc.tokens);
      const want = [...index.tensors.values()].filter((s) => s.decls[0].start < head.length).map((s) => s.name).sort();
      const got = complete(edited, at).filter((i) => i.kind === 'tensor' || i.kind === 'gradient').map((i) => i.label).sort();
      assert.deepEqual(got, want, `names above line ${k + 1} of\n${edited}`);
    }
  };
  fc.assert(fc.property(program, check), { numRuns: 100, seed: 31 });
  fc.assert(fc.property(mutation(exampleTexts()), check), { numRuns: 100, seed: 32 });
  check('input x: [3]\nx = x * 2\ny = x + 1\nparam y: [3] ~ he\n');
});

test('a seed or dims line below the cursor is found as the multiline regex finds it', async () => {
  const { holdsForTheFile } = await import('../../src/core/ide/document');
  const fc = (await import('fast-check')).default;
  const part = fc.constantFrom('seed', 'dims', ' ', '\t', '\n', '\r', 'x', '_', '1', 'seeds', '#', '\r\n');
  fc.assert(
    fc.property(fc.array(part, { maxLength: 10 }), fc.nat(), (parts, k) => {
      const t = parts.join('');
      const from = k % (t.length + 1);
      assert.equal(holdsForTheFile(t, from), /^[ \t]*(seed|dims)\b/m.test(t.slice(from)), JSON.stringify([t, from]));
    }),
    { numRuns: 5000, seed: 33 },
  );
});
