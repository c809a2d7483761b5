// The examples of the newer layers (issue 16): each runs clean with its checks passing and its
// expect lines holding, "Derive backward" writes for each of their gates a block that passes its
// own check, and each broken one is caught at the line of its mistake with its worst entry.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deriveGateInText } from '../../src/core/checks/derive';
import type { Analysis, GradCheckResult } from '../../src/core/model';
import { errors, run } from './helpers/program';

const examples = join(__dirname, '..', '..', 'examples');
const read = (f: string) => readFileSync(join(examples, f), 'utf8');

const LAYER_EXAMPLES = ['layernorm-gate.grad', 'groupnorm.grad', 'word2vec.grad', 'lstm.grad', 'attention-gate.grad', 'transformer-block.grad', 'captioning.grad'];

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i + 1;
}

function check(a: Analysis, target: string): GradCheckResult {
  const c = a.gradchecks.find((g) => g.target === target);
  assert.ok(c, `no check of ${target}: ${a.gradchecks.map((g) => g.target).join(', ')}`);
  return c;
}

function notPassing(a: Analysis): string[] {
  return a.gradchecks.filter((c) => !['pass', 'ok-if-kinked'].includes(c.verdict)).map((c) => `${c.target}: ${c.verdict} ${c.maxRelError}`);
}

for (const file of LAYER_EXAMPLES) {
  test(`examples/${file}: no errors or warnings, every check passes, its expect lines hold`, () => {
    const text = read(file);
    const a = run(text);
    assert.deepEqual(
      a.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`),
      [],
    );
    assert.deepEqual(notPassing(a), []);
    assert.ok(a.gradchecks.some((c) => c.target.includes('.')), 'a gate check ran');
    assert.ok(/^expect /m.test(text), 'the example states what it expects');
  });

  for (const gate of [...read(file).matchAll(/^gate (\w+)/gm)].map((m) => m[1])) {
    test(`examples/${file}: the derived backward of \`${gate}\` passes its check`, () => {
      const text = read(file);
      const r = deriveGateInText(text, gate);
      assert.ok(r.ok, r.ok ? '' : r.message);
      const derived = text.slice(0, r.edit.span.start) + r.edit.newText + text.slice(r.edit.span.end);
      assert.notEqual(derived, text, 'the block was rewritten');
      const a = run(derived);
      assert.deepEqual(errors(a), [], r.block);
      const mine = a.gradchecks.filter((c) => c.target.startsWith(`${gate}.`));
      assert.ok(mine.length > 0);
      assert.deepEqual(notPassing(a), [], r.block);
    });
  }
}

test('layernorm-gate.grad: the hand-written gate and the built-in op give the same values', () => {
  const a = run(read('layernorm-gate.grad'));
  const y = a.nodes.find((n) => n.name === 'y')?.value;
  const ref = a.nodes.find((n) => n.name === 'ref')?.value;
  assert.ok(y && ref && y.length === 20);
  y.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-12, `${i}: ${v} vs ${ref[i]}`));
});

test('broken/layernorm-mean-term.grad: the missing mean term is caught at dx, with its worst entry', () => {
  const text = read('broken/layernorm-mean-term.grad');
  const a = run(text);
  const c = check(a, 'ln.dx');
  assert.equal(c.verdict, 'fail');
  const w = c.worst[0];
  assert.equal(w.relError, c.maxRelError);
  assert.ok(w.relError > 1e-2 && !w.kinkCrossed);
  const line = lineOf(text, 'dx     = istd * (dxhat - xhat');
  const d = a.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.range.start.line + 1 === line);
  assert.ok(d, `no gradcheck-failed on line ${line}: ${a.diagnostics.map((x) => `${x.code}@${x.range.start.line + 1}`).join(', ')}`);
  assert.match(d.message, new RegExp(`gradient check failed for \`dx\` of \`ln\`: relative error .* at \\[${w.index.join(', ')}\\]`));
  // Only the mean term is missing: gamma's and beta's gradients are right.
  assert.equal(check(a, 'ln.dgamma').verdict, 'pass');
  assert.equal(check(a, 'ln.dbeta').verdict, 'pass');
  // The dropped term is the row mean of dx̂ times 1/σ: adding it back fixes the gate.
  const fixed = text.replace('(dxhat - xhat', '(dxhat - mean(dxhat, axis=1, keepdims=true) - xhat');
  assert.deepEqual(notPassing(run(fixed)), []);
});

test('word2vec.grad: the naive-softmax gate by hand and the built-in loss agree', () => {
  const a = run(read('word2vec.grad'));
  const [byHand] = a.nodes.find((n) => n.name === 'by_hand')?.value ?? [];
  const [builtIn] = a.nodes.find((n) => n.name === 'built_in')?.value ?? [];
  assert.ok(Number.isFinite(byHand) && Math.abs(byHand - builtIn) < 1e-12, `${byHand} vs ${builtIn}`);
});

test('broken/embedding-assigned.grad: assigning instead of adding is caught at dW, worst at a repeated word', () => {
  const text = read('broken/embedding-assigned.grad');
  const a = run(text);
  const c = check(a, 'bag.dW');
  assert.equal(c.verdict, 'fail');
  const w = c.worst[0];
  // The verdict judges the confirmed estimate (issue 18): for this genuine error of 1/3 it differs
  // from the raw one in the twelfth digit.
  assert.ok(Math.abs(w.relError - c.maxRelError) <= 1e-9 * c.maxRelError, `${w.relError} vs ${c.maxRelError}`);
  const line = lineOf(text, 'dW = expand_dims(used');
  const d = a.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.range.start.line + 1 === line);
  assert.ok(d, `no gradcheck-failed on line ${line}`);
  assert.match(d.message, new RegExp(`gradient check failed for \`dW\` of \`bag\`: relative error .* at \\[${w.index.join(', ')}\\]`));
  // The worst row is a word that occurs more than once; the hand gradient is 1/count of the true one.
  const idx = a.nodes.find((n) => n.name === 'idx')?.value ?? [];
  const count = idx.filter((k) => k === w.index[0]).length;
  assert.ok(count >= 2, `row ${w.index[0]} occurs ${count} times`);
  assert.ok(Math.abs(w.analytic * count - w.numeric) < 1e-6 * Math.abs(w.numeric));
  // Rows used once are right: only repeated words fail.
  for (const e of c.worst) assert.ok(idx.filter((k) => k === e.index[0]).length >= 2 || e.relError < 1e-6);
  const fixed = text.replace('used = max(one_hot(idx, M), axis=0)', 'used = sum(one_hot(idx, M), axis=0)');
  assert.deepEqual(notPassing(run(fixed)), []);
});

test('broken/lstm-forget-gate.grad: σ′ of the forget gate taken at the output is caught at daf, the other gates pass', () => {
  const text = read('broken/lstm-forget-gate.grad');
  const a = run(text);
  const c = check(a, 'cell.daf');
  assert.equal(c.verdict, 'fail');
  const w = c.worst[0];
  assert.equal(w.relError, c.maxRelError);
  assert.ok(w.relError > 1e-2 && !w.kinkCrossed);
  const line = lineOf(text, 'daf = dcn * c * h * (1 - h)');
  const d = a.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.range.start.line + 1 === line);
  assert.ok(d, `no gradcheck-failed on line ${line}`);
  assert.match(d.message, new RegExp(`gradient check failed for \`daf\` of \`cell\`: relative error .* at \\[${w.index.join(', ')}\\]`));
  for (const other of ['dai', 'dag', 'dao', 'dc']) assert.equal(check(a, `cell.${other}`).verdict, 'pass', other);
  const fixed = text.replace('daf = dcn * c * h * (1 - h)', 'daf = dcn * c * f * (1 - f)');
  assert.deepEqual(notPassing(run(fixed)), []);
});

test('attention-gate.grad and transformer-block.grad: the gates by hand and the built-in ops give the same values', () => {
  const a = run(read('attention-gate.grad'));
  const y = a.nodes.find((n) => n.name === 'y')?.value;
  const ref = a.nodes.find((n) => n.name === 'ref')?.value;
  assert.ok(y && ref && y.length === 8);
  y.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-13, `${i}: ${v} vs ${ref[i]}`));
  const t = run(read('transformer-block.grad'));
  const [gap] = t.nodes.find((n) => n.name === 'gap')?.value ?? [NaN];
  assert.ok(gap < 1e-13, `gap ${gap}`);
  assert.deepEqual(t.diagnostics.filter((d) => d.code === 'expect-failed'), []);
});

test('broken/attention-softmax-axis.grad: the softmax backward over the queries is caught at dq and dk, dv passes', () => {
  const text = read('broken/attention-softmax-axis.grad');
  const a = run(text);
  for (const [target, needle] of [
    ['attn.dq', 'dq = ds @ k / sqrt(K)'],
    ['attn.dk', 'dk = ds.T @ q / sqrt(K)'],
  ]) {
    const c = check(a, target);
    assert.equal(c.verdict, 'fail');
    const w = c.worst[0];
    assert.ok(Math.abs(w.relError - c.maxRelError) <= 1e-9 * c.maxRelError);
    assert.ok(w.relError > 0.1 && !w.kinkCrossed);
    const line = lineOf(text, needle);
    const d = a.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.range.start.line + 1 === line);
    assert.ok(d, `no gradcheck-failed on line ${line}: ${a.diagnostics.map((x) => `${x.code}@${x.range.start.line + 1}`).join(', ')}`);
    const name = target.split('.')[1];
    assert.match(d.message, new RegExp(`gradient check failed for \`${name}\` of \`attn\`: relative error .* at \\[${w.index.join(', ')}\\]`));
  }
  assert.equal(check(a, 'attn.dv').verdict, 'pass');
  const fixed = text.replace('sum(dp * p, axis=0, keepdims=true)', 'sum(dp * p, axis=1, keepdims=true)');
  assert.deepEqual(notPassing(run(fixed)), []);
});

test('captioning.grad: the masked loss by hand equals temporal_softmax_ce; padded steps get no gradient', () => {
  const a = run(read('captioning.grad'));
  const [byHand] = a.nodes.find((n) => n.name === 'loss')?.value ?? [NaN];
  const [builtIn] = a.nodes.find((n) => n.name === 'ref')?.value ?? [NaN];
  assert.ok(Math.abs(byHand - builtIn) < 1e-13, `${byHand} vs ${builtIn}`);
  const g = Array.from(a.nodes.find((n) => n.name === 'scores')?.grad ?? []);
  const keep = a.nodes.find((n) => n.name === 'keep')?.value ?? [];
  const V = 7;
  assert.equal(g.length, keep.length * V);
  keep.forEach((k, s) => {
    const row = g.slice(s * V, s * V + V);
    if (k === 0) assert.ok(row.every((x) => x === 0), `step ${s} is padding`);
    else assert.ok(row.some((x) => x !== 0) && Math.abs(row.reduce((p, x) => p + x, 0)) < 1e-15, `step ${s}`);
  });
});

test('broken/attention-copied-input.grad: dx through the queries only is warned about statically and caught at dx with its worst entry', () => {
  const text = read('broken/attention-copied-input.grad');
  const a = run(text);
  const line = lineOf(text, 'dx  = dq @ Wq.T');
  const lint = a.diagnostics.find((x) => x.code === 'copied-value');
  assert.ok(lint && lint.range.start.line + 1 === line && lint.severity === 'warning');
  assert.match(lint.message, /through `q` but not through `k` and `v`: add the terms that `dk` and `dv` send back to `x`/);
  const c = check(a, 'selfattn.dx');
  assert.equal(c.verdict, 'fail');
  const w = c.worst[0];
  assert.ok(Math.abs(w.relError - c.maxRelError) <= 1e-9 * c.maxRelError && !w.kinkCrossed);
  const d = a.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.range.start.line + 1 === line);
  assert.ok(d, `no gradcheck-failed on line ${line}`);
  assert.match(d.message, new RegExp(`gradient check failed for \`dx\` of \`selfattn\`: relative error .* at \\[${w.index.join(', ')}\\]`));
  for (const other of ['dWq', 'dWk', 'dWv']) assert.equal(check(a, `selfattn.${other}`).verdict, 'pass', other);
  const fixed = text.replace('dx  = dq @ Wq.T', 'dx  = dq @ Wq.T + dk @ Wk.T + dv @ Wv.T');
  const f = run(fixed);
  assert.deepEqual(notPassing(f), []);
  assert.deepEqual(f.diagnostics.filter((x) => x.code === 'copied-value'), []);
});
