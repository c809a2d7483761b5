// Gradient checks run the region downstream of a tensor for many perturbations at once
// (checks/batched.ts). They must give exactly what re-running it one perturbation at a time gives:
// the same numeric gradients to the bit, the same kink crossings, the same verdicts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { checkTensors, DEFAULT_GRADCHECK, type SpanCheck } from '../../src/core/checks/gradcheck';
import type { Span } from '../../src/core/text';

const examples = join(__dirname, '..', '..', 'examples');

function checks(text: string, unbatched: boolean): SpanCheck[] {
  const s = analyzeSession(text, { gradcheck: false });
  assert.ok(s.graph && s.execution, 'the program runs');
  const prev = process.env.GRADLENS_GRADCHECK_UNBATCHED;
  process.env.GRADLENS_GRADCHECK_UNBATCHED = unbatched ? '1' : '0';
  try {
    return checkTensors(s.graph, s.execution, s.analysis.seed, { ...DEFAULT_GRADCHECK, fullLimit: 400, samples: 25 }, new Map<string, Span>());
  } finally {
    if (prev === undefined) delete process.env.GRADLENS_GRADCHECK_UNBATCHED;
    else process.env.GRADLENS_GRADCHECK_UNBATCHED = prev;
  }
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
