// Signature help in op, gate and init calls: the reference's signature text, parameter docs from
// the op table, and the active parameter (keyword arguments map to their parameter by name).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { signatureHelp } from '../../src/core/ide';
import { opSignature } from '../../src/core/ide/signatures';
import { ALL_OPS, FUNCTIONS } from '../../src/core/ops/registry';
import { cursor, example } from './helpers/ide';

const twoLayer = example('two-layer-net.grad');
const afterReg = 'const reg = 1e-3\n';

function helpAt(line: string) {
  const c = cursor(twoLayer.replace(afterReg, `${afterReg}${line}\n`));
  return signatureHelp(c.text, c.offset);
}

test('sum(x, axis=…): the signature as the reference prints it, the keyword maps to its parameter', () => {
  const h = helpAt('s = sum(X, axis=1|)');
  assert.ok(h);
  assert.equal(h.label, 'sum(x, axis=none, keepdims=false)');
  assert.equal(h.activeParameter, 1);
  const sum = (FUNCTIONS.get('sum') ?? [])[0];
  assert.ok(h.parameters[1].documentation.startsWith(sum.signature[1].doc), 'parameter docs come from the op table');
  assert.ok(h.documentation.startsWith(sum.summary));
  assert.equal(helpAt('s = sum(X, keepdims=true, |')?.activeParameter, null, 'after a keyword, a position names no parameter');
  assert.equal(helpAt('s = sum(keepdims=|true, x=X)')?.activeParameter, 2);
  assert.equal(helpAt('s = sum(|X)')?.activeParameter, 0);
});

test('the active parameter follows the commas; nested calls answer for the innermost', () => {
  assert.equal(helpAt('l = softmax_ce(h1, |')?.activeParameter, 1);
  assert.equal(helpAt('l = softmax_ce(|')?.activeParameter, 0);
  const inner = helpAt('l = relu(sum(X, |))');
  assert.equal(inner?.label, 'sum(x, axis=none, keepdims=false)');
  assert.equal(helpAt('l = relu(sum(X, 1)|)')?.label, 'relu(x)');
  assert.equal(helpAt('l = concat([X, |], axis=0)')?.activeParameter, 0, 'inside the list of tensors');
  assert.equal(helpAt('l = relu(X)|'), null);
  assert.equal(helpAt('l = (X + |'), null);
});

test('overloads: max(a, b) is elementwise, max(x, axis=k) reduces', () => {
  assert.equal(helpAt('m = max(X, |X)')?.label, 'max(a, b)');
  assert.equal(helpAt('m = max(X, axis=|0)')?.label, 'max(x, axis=none, keepdims=false)');
});

test('gate calls: the header with its shapes, each input a parameter', () => {
  const text = example('affine-gate.grad');
  const c = cursor(text.replace('scores = affine(h1, W2, b2)', 'scores = affine(h1, W2, |b2)'));
  const h = signatureHelp(c.text, c.offset);
  assert.ok(h);
  assert.equal(h.label, 'affine(X: [B, K], W: [K, M], b: [M]) -> out: [B, M]');
  assert.equal(h.activeParameter, 2);
  assert.deepEqual(
    h.parameters.map((p) => h.label.slice(...p.labelOffsets)),
    ['X: [B, K]', 'W: [K, M]', 'b: [M]'],
  );
  const kw = cursor(text.replace('scores = affine(h1, W2, b2)', 'scores = affine(h1, b=|b2, W=W2)'));
  assert.equal(signatureHelp(kw.text, kw.offset)?.activeParameter, 2);
});

test('init calls after `~`', () => {
  const h = helpAt('param Z: [D] ~ uniform(0, |');
  assert.equal(h?.label, 'uniform(a, b)');
  assert.equal(h?.activeParameter, 1);
});

test('every callable op: its signature label is in the language reference, and the offsets find each parameter', () => {
  const reference = readFileSync(join(__dirname, '..', '..', 'docs', 'language-reference.md'), 'utf8');
  for (const op of ALL_OPS.filter((o) => /^[A-Za-z_]\w*$/.test(o.name))) {
    const sig = opSignature(op);
    assert.ok(reference.includes(`| \`${sig.label}\` |`), `${op.id}: ${sig.label}`);
    assert.equal(sig.parameters.length, op.signature.length);
    sig.parameters.forEach((p, i) => {
      assert.equal(sig.label.slice(...p.labelOffsets), p.label, `${op.id} ${i}`);
      assert.ok(p.label.startsWith(op.signature[i].kind === 'tensors' ? `[${op.signature[i].name}` : op.signature[i].name));
    });
  }
});
