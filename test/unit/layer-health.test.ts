// The health checks of the newer layers (checks/layerHealth.ts): attention collapsed onto one key,
// an LSTM's forget gate stuck at 0 or 1, a normalisation fed a constant row — each reported on the
// layer's line when it happens, and silent on a healthy layer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { Analysis } from '../../src/core/model';

const codes = (a: Analysis, code: string) => a.diagnostics.filter((d) => d.code === code);

test('attention-collapse: large scores put every query on one key; unit-scale ones do not', () => {
  const program = (scale: number) => `seed 2\ndims T = 6, d = 4\ninput q: [T, d] ~ normal(${scale})\ninput k: [T, d] ~ normal(${scale})\ninput v: [T, d]\nloss = sum(attention(q, k, v) * v)\n`;
  const bad = codes(analyze(program(20)), 'attention-collapse');
  assert.equal(bad.length, 1);
  assert.equal(bad[0].severity, 'warning');
  assert.equal(bad[0].range.start.line, 5);
  assert.match(bad[0].message, /(\d) of the 6 query rows of this attention \(\d+%\) put ≥ 99% of their weight on one key/);
  assert.deepEqual(codes(analyze(program(0.5)), 'attention-collapse'), []);
});

test('attention-collapse: a causal row with one key is not counted as collapsed', () => {
  // T = 2, causal: row 0 has only key 0 (weight 1 by definition); row 1 sees both with equal scores.
  const a = analyze('dims T = 2, d = 1\ninput q: [T, d] = [[0], [0]]\ninput k: [T, d] = [[1], [1]]\ninput v: [T, d]\nloss = sum(attention(q, k, v, causal=true) * v)\n');
  assert.deepEqual(codes(a, 'attention-collapse'), []);
});

test('attention-collapse also reads each head of multihead_attention', () => {
  const a = analyze('seed 3\ndims N = 2, T = 5, D = 4\ninput x: [N, T, D] ~ normal(4)\nparam Wq: [D, D] ~ normal(6)\nparam Wk: [D, D] ~ normal(6)\nparam Wv: [D, D] ~ xavier\nparam Wo: [D, D] ~ xavier\nloss = sum(multihead_attention(x, Wq, Wk, Wv, Wo, 2) ** 2)\n');
  const found = codes(a, 'attention-collapse');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /of the 20 query rows of this multihead_attention/);
});

test('lstm-gate-saturated: huge weights pin the forget gates; xavier ones do not', () => {
  const program = (w: string) => `seed 1\ndims T = 3, N = 2, D = 2, H = 2, G = 8\ninput x: [T, N, D] ~ normal(10)\nparam h0: [N, H] = 0\nparam c0: [N, H] = 0\nparam Wx: [D, G] ~ ${w}\nparam Wh: [H, G] ~ ${w}\nparam b: [G] = 0\nloss = sum(lstm(x, h0, c0, Wx, Wh, b))\n`;
  const bad = codes(analyze(program('normal(5)')), 'lstm-gate-saturated');
  assert.equal(bad.length, 1);
  assert.match(bad[0].message, /forget-gate values are within 0\.01 of 0 or 1 \(\d+ near 0, \d+ near 1, of 12\)/);
  const calm = analyze(program('normal(0.01)').replace('normal(10)', 'normal(1)'));
  assert.deepEqual(codes(calm, 'lstm-gate-saturated'), []);
});

test('constant-norm-input: a constant row of layernorm and a constant channel of batchnorm2d are named; varied rows are not', () => {
  const a = analyze('dims N = 3, D = 4\ninput x: [N, D] = [[1, 2, 3, 4], [5, 5, 5, 5], [0, 1, 0, 1]]\ninput w: [N, D]\nparam g: [D] = 1\nparam b: [D] = 0\nloss = sum(layernorm(x, g, b) * w)\n');
  const found = codes(a, 'constant-norm-input');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /^1 of the 3 sets this layernorm normalises has a variance no larger than eps/);
  const bn = analyze('dims N = 2, C = 2, S = 2\ninput x: [N, C, S, S] = [[[[1, 2], [3, 4]], [[7, 7], [7, 7]]], [[[0, 1], [1, 0]], [[7, 7], [7, 7]]]]\ninput w: [N, C, S, S]\nparam g: [C] = 1\nparam b: [C] = 0\nloss = sum(batchnorm2d(x, g, b) * w)\n');
  assert.match(codes(bn, 'constant-norm-input')[0]?.message ?? '', /1 of the 2 sets this batchnorm2d/);
  const ok = analyze('dims N = 3, D = 4\ninput x: [N, D]\ninput w: [N, D]\nparam g: [D] = 1\nparam b: [D] = 0\nloss = sum(layernorm(x, g, b) * w)\n');
  assert.deepEqual(codes(ok, 'constant-norm-input'), []);
});
