// Gradient checks run the region downstream of a tensor for many perturbations at once
// (checks/batched.ts). They must give exactly what re-running it one perturbation at a time gives:
// the same numeric gradients to the bit, the same kink crossings, the same verdicts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { DEFAULT_GRADCHECK, type SpanCheck } from '../../src/core/checks/gradcheck';
import { checkTensors } from '../../src/core/checks/tensorChecks';
import type { Span } from '../../src/core/text';
import { withUnbatched } from './helpers/gradcheckAlarms';

const examples = join(__dirname, '..', '..', 'examples');

function checks(text: string, unbatched: boolean): SpanCheck[] {
  const s = analyzeSession(text, { gradcheck: false });
  assert.ok(s.graph && s.execution, 'the program runs');
  const { graph, execution } = s;
  return withUnbatched(unbatched, () => checkTensors(graph, execution, s.analysis.seed, { ...DEFAULT_GRADCHECK, fullLimit: 400, samples: 25 }, new Map<string, Span>()).checks);
}

function same(name: string, text: string): void {
  const a = checks(text, false);
  const b = checks(text, true);
  assert.equal(a.length, b.length, name);
  a.forEach((x, k) => {
    const y = b[k];
    assert.equal(x.target, y.target);
    assert.equal(x.verdict, y.verdict, `${name} ${x.target}`);
    assert.equal(x.checked, y.checked);
    assert.equal(Object.is(x.maxRelError, y.maxRelError) || x.maxRelError === y.maxRelError, true, `${name} ${x.target}: ${x.maxRelError} vs ${y.maxRelError}`);
    x.worst.forEach((e, i) => {
      assert.deepEqual(e.index, y.worst[i].index);
      assert.ok(Object.is(e.numeric, y.worst[i].numeric), `${name} ${x.target}[${e.index}]: ${e.numeric} vs ${y.worst[i].numeric}`);
      assert.equal(e.kinkCrossed, y.worst[i].kinkCrossed);
      // The same kink or step named (op, element, position in the region) and the same error budget.
      assert.deepEqual(e.kink, y.worst[i].kink, `${name} ${x.target}[${e.index}] kink`);
      assert.deepEqual(e.budget, y.worst[i].budget, `${name} ${x.target}[${e.index}] budget`);
    });
  });
}

for (const dir of ['', 'broken']) {
  for (const file of readdirSync(join(examples, dir)).filter((f) => f.endsWith('.grad'))) {
    const path = join(dir, file);
    test(`batched gradient checks equal unbatched ones: examples/${path}`, () => same(path, readFileSync(join(examples, path), 'utf8')));
  }
}

test('batched checks equal unbatched ones on a net with every batching path', () => {
  // matmul reading the checked tensor (rows and columns), broadcasting ops, a stacked matmul,
  // kinks (relu, max), and ops run slice by slice (softmax_ce, l2, sum with an axis, tanh of a transpose).
  same(
    'mixed',
    `seed 9
dims N = 6, D = 7, H = 5, C = 4
input X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.1)
param W2: [H, C] ~ xavier
param v: [C] ~ normal(1)
h = relu(X @ W1 + b1)
g = max(h, 0.3 * h.T.T)
s = tanh(g @ W2) * v - sum(X, axis=1, keepdims=true) / D
loss = softmax_ce(s, y) + 0.01 * l2(W1) + mean(abs(W2.T @ W1.T))
`,
  );
});

/** Every entry of every tensor's check (the worst list holds them all), batched and one at a time. */
function sameEveryEntry(name: string, text: string, h: number, clean = false): number {
  const opts = { ...DEFAULT_GRADCHECK, fullLimit: 400, samples: 25, worstCount: Number.MAX_SAFE_INTEGER, h };
  const run = (unbatched: boolean) => {
    const s = analyzeSession(text, { gradcheck: false });
    assert.ok(s.graph && s.execution, `${name}: the program runs`);
    if (clean) assert.deepEqual(s.analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], name);
    const { graph, execution } = s;
    return withUnbatched(unbatched, () => checkTensors(graph, execution, s.analysis.seed, opts, new Map<string, Span>()).checks);
  };
  const a = run(false);
  const b = run(true);
  assert.equal(a.length, b.length, name);
  let crossed = 0;
  a.forEach((x, k) => {
    const y = b[k];
    assert.equal(x.target, y.target);
    assert.equal(x.verdict, y.verdict, `${name} ${x.target}`);
    assert.equal(x.worst.length, x.checked, `${name} ${x.target}: every entry is listed`);
    const byIndex = new Map(y.worst.map((e) => [e.index.join(','), e]));
    for (const e of x.worst) {
      const f = byIndex.get(e.index.join(','));
      assert.ok(f, `${name} ${x.target}[${e.index}] is checked one at a time too`);
      assert.ok(Object.is(e.numeric, f.numeric), `${name} h=${h} ${x.target}[${e.index}]: ${e.numeric} vs ${f.numeric}`);
      assert.ok(Object.is(e.roundOff, f.roundOff), `${name} h=${h} ${x.target}[${e.index}]: round-off`);
      assert.equal(e.kinkCrossed, f.kinkCrossed, `${name} h=${h} ${x.target}[${e.index}]: kink crossing`);
      if (e.kinkCrossed) crossed++;
    }
  });
  return crossed;
}

for (const dir of ['', 'broken']) {
  for (const file of readdirSync(join(examples, dir)).filter((f) => f.endsWith('.grad'))) {
    const path = join(dir, file);
    test(`every entry of the batched checks equals the unbatched one, small and large steps: examples/${path}`, () => {
      const text = readFileSync(join(examples, path), 'utf8');
      for (const h of [1e-5, 0.05]) sameEveryEntry(path, text, h);
    });
  }
}

test('every entry equal on a net using every rule of the batched check, with steps that cross kinks', () => {
  // A changed operand on both sides (x * x, g - g / 3), a broadcast operand that changes (bias),
  // products with the changed operand on the left and on the right, kinked elementwise ops (relu,
  // leaky_relu, abs, clip, max of two changed operands), sums of terms (softmax_ce on [N, C] and
  // on [C], l2), reshape and a gate's identity markers, and ops run whole (sum with an axis,
  // mean, svm, l1, tanh of a transpose, a product of a vector), a comparison (a mask).
  const text = `seed 11
dims N = 5, D = 6, H = 4, C = 3
input X: [N, D]
input y: int[N] in 0..C
input y0: int[] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.2)
param W2: [H, C] ~ xavier
param v: [H] ~ normal(1)
param u: [C] ~ normal(0.5)
gate affine(x: [B, K], W: [K, M]) -> out: [B, M] {
  out = x @ W
}
a = X @ W1 + b1
h = relu(a) + 0.1 * leaky_relu(a * a - 0.5, alpha=0.2)
g = max(abs(h), clip(h.T.T, lo=-0.3, hi=0.4))
k = g - g / 3
s = affine(tanh(k.T).T, W2) + u
r = reshape(s, [C, N])
loss = softmax_ce(s, y) + softmax_ce(s[0], y0) + 0.01 * l2(W1) + 0.1 * svm(s, y) + 0.01 * l1(W2) + mean(sum(r, axis=1)) + sum(h @ v) / N + 0.05 * sum(h * (a > 0.1))
`;
  for (const h of [1e-5, 1e-3, 0.05, 0.3]) {
    const crossed = sameEveryEntry('every rule', text, h, true);
    if (h >= 0.05) assert.ok(crossed > 0, `a step of ${h} crosses some kink (${crossed})`);
  }
});

test('batched checks equal unbatched ones where steps are crossed and entries are confirmed at more steps', () => {
  // Comparisons and sign near 0 (steps crossed at h), a true gradient of ~0 beside truncation
  // error (confirmed at h/4 and 4h), and a mask computed from a matrix product.
  same(
    'steps',
    `seed 3
dims N = 4, D = 3, H = 2
input X: [N, D] ~ normal(0.000001)
param W: [D, H] ~ xavier
param w: [2] = [0.5, 1e-9]
h = X @ W
loss = sum(h * (h > 0)) + sum(X * X * sign(X)) + sum(exp(w) * w ** 3) + sum(h * h * (X @ W <= 0.000001))
`,
  );
});

test('l2 in blocks of 8, 4, 2 and 1 weights (the largest that divides the count): batched checks equal one at a time', () => {
  // W8: 24 weights (blocks of 8), W4: 12 (4), W2: 6 (2), W1: 5 (1). A check that perturbs one weight
  // recomputes its block's pairwise sum and resumes the blocks' sum from there: the forward's bits.
  const text = `seed 12
dims N = 4
input X: [N, 6]
param W8: [6, 4] ~ he
param W4: [4, 3] ~ he
param W2: [3, 2] ~ he
param W1: [1, 5] ~ normal(1)
h = tanh(X @ W8) @ W4
loss = sum(h @ W2) + l2(W8) + 0.5 * l2(W4) + 0.25 * l2(W2) + l2(W1)
`;
  sameEveryEntry('l2 blocks', text, 1e-5, true);
  sameEveryEntry('l2 blocks', text, 0.1, true);
});
