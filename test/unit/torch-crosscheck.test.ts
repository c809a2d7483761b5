// GradLens vs PyTorch (float64, torch.autograd) on the same graphs with the same values.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { exportGraph, runTorch, torchAvailable, torchRequired } from './helpers/torch';

const examplesDir = join(__dirname, '..', '..', 'examples');
const TOL = 1e-10;

function skipReason(): string | false {
  if (torchAvailable()) return false;
  if (torchRequired()) assert.fail('GRADLENS_REQUIRE_TORCH=1 but Python with torch is not installed (apt-get install -y python3-torch)');
  return 'Python with torch not found (apt-get install -y python3-torch); PyTorch cross-checks skipped';
}

function compare(name: string, text: string): void {
  const session = analyzeSession(text);
  const errs = session.analysis.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errs, [], `${name} has errors`);
  const ref = runTorch(exportGraph(session));
  const root = session.analysis.nodes.find((n) => n.name === session.analysis.root);
  assert.ok(root?.value);
  assert.ok(Math.abs(root.value[0] - ref.root) <= TOL * Math.max(1, Math.abs(ref.root)), `${name}: root ${root.value[0]} vs torch ${ref.root}`);
  let compared = 0;
  for (const [leaf, g] of Object.entries(ref.grads)) {
    const ours = session.analysis.nodes.find((n) => n.name === leaf)?.grad ?? null;
    if (g === null) {
      assert.equal(ours, null, `${name}: torch gives ${leaf} no gradient`);
      continue;
    }
    assert.ok(ours, `${name}: GradLens gives ${leaf} no gradient`);
    assert.equal(ours.length, g.length);
    const scale = Math.max(1e-12, ...g.map(Math.abs));
    for (let i = 0; i < g.length; i++) {
      assert.ok(Math.abs(ours[i] - g[i]) <= TOL * Math.max(scale, 1e-3), `${name}: d${leaf}[${i}] = ${ours[i]} vs torch ${g[i]}`);
    }
    compared++;
  }
  assert.ok(compared > 0, `${name}: no gradients compared`);
}

for (const file of readdirSync(examplesDir).filter((f) => f.endsWith('.grad'))) {
  test(`PyTorch agrees with GradLens on examples/${file}`, { skip: skipReason() }, () => {
    compare(file, readFileSync(join(examplesDir, file), 'utf8'));
  });
}

// Larger versions of the seeds' networks, and one program using every other op.
const PROGRAMS: Record<string, string> = {
  'cs231n two-layer net, N=16 D=50 H=20 C=7': `seed 5
dims N = 16, D = 50, H = 20, C = 7
input X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.1)
param W2: [H, C] ~ xavier
param b2: [C] ~ normal(0.1)
const reg = 0.05
h = relu(X @ W1 + b1)
loss = softmax_ce(h @ W2 + b2, y) + reg * (l2(W1) + l2(W2))
`,
  'conv net: two conv layers, strides, padding, max and average pooling': `seed 6
dims N = 3, C = 2, S = 9, F = 3, G = 4, Y = 4
input x: [N, C, S, S]
input y: int[N] in 0..Y
param w1: [F, C, 3, 3] ~ he
param b1: [F] ~ normal(0.1)
param w2: [G, F, 2, 2] ~ he
param b2: [G] ~ normal(0.1)
param W: [16, Y] ~ xavier
h1 = relu(conv2d(x, w1, b1, stride=1, pad=1))
p1 = max_pool2d(h1, size=3, stride=2)
h2 = tanh(conv2d(p1, w2, b2, stride=1, pad=0))
p2 = avg_pool2d(h2, size=2, stride=1)
loss = softmax_ce(reshape(p2, [N, -1]) @ W, y)
`,
  'RNN with BPTT over 9 steps, loss on every state': `seed 7
dims T = 9, N = 4, D = 3, H = 6
input x: [T, N, D]
input target: [T, N, H]
param h0: [N, H] ~ normal(0.5)
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] ~ normal(0.1)
hs = rnn(x, h0, Wx, Wh, b)
loss = mse(hs, target) + 0.5 * mean(hs[-1])
`,
  'LSTM with BPTT over 7 steps, a loss on every state and the initial states learned': `seed 9
dims T = 7, N = 3, D = 4, H = 5, G = 20
input x: [T, N, D]
input target: [T, N, H]
param h0: [N, H] ~ normal(0.5)
param c0: [N, H] ~ normal(0.5)
param Wx: [D, G] ~ xavier
param Wh: [H, G] ~ xavier
param b: [G] ~ normal(0.3)
hs = lstm(x, h0, c0, Wx, Wh, b)
loss = mse(hs, target) + 0.5 * mean(hs[-1])
`,
  'attention: batched with a padding mask and causal, 2-D, size-1 axes; gelu and silu': `seed 12
dims N = 3, T = 5, S = 4, d = 6, e = 3
input q: [N, T, d]
input k: [N, S, d]
input v: [N, S, e]
input pad: int[N, 1, S] = [[[1, 1, 1, 0]], [[1, 1, 0, 0]], [[1, 1, 1, 1]]]
param Wq: [d, d] ~ xavier
input q1: [1, 1, d]
input k1: [1, 1, d]
input v1: [1, 1, 1]
a1 = attention(gelu(q @ Wq), k, v, pad)
a2 = attention(q[0], silu(q[1]), q[2], causal=true)
a3 = attention(q1, k1, v1)
loss = sum(a1 * a1) + sum(tanh(a2)) + sum(a3) * 3
`,
  'multihead_attention vs F.multi_head_attention_forward: N=2, T=6, D=8, 4 heads, causal, a per-example mask, one head': `seed 13
dims N = 2, T = 6, D = 8
input x: [N, T, D]
input keep: int[N, T, T] in 0..2
param Wq: [D, D] ~ xavier
param Wk: [D, D] ~ xavier
param Wv: [D, D] ~ xavier
param Wo: [D, D] ~ xavier
h1 = multihead_attention(x, Wq, Wk, Wv, Wo, 4, causal=true)
h2 = multihead_attention(x[1], Wq, Wk, Wv, Wo, 1)
h3 = multihead_attention(x, Wo, Wv, Wk, Wq, 2, keep, causal=true)
loss = sum(h1 ** 2) + sum(h2 * x[0]) + mean(h3)
`,
  'captioning: embedding, LSTM, temporal_affine, masked temporal_softmax_ce': `seed 14
dims N = 3, T = 4, V = 6, W = 3, H = 4, G = 16
input words: int[N, T] in 0..V
input next: int[N, T] in 0..V
input keep: int[N, T] = [[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]]
param Wemb: [V, W] ~ normal(1)
param h0: [N, H] ~ normal(0.5)
param c0: [N, H] ~ normal(0.5)
param Wx: [W, G] ~ xavier
param Wh: [H, G] ~ xavier
param b: [G] ~ normal(0.1)
param Wout: [H, V] ~ xavier
param bout: [V] ~ normal(0.1)
hs = lstm(transpose(embedding(Wemb, words), [1, 0, 2]), h0, c0, Wx, Wh, b)
loss = temporal_softmax_ce(temporal_affine(transpose(hs, [1, 0, 2]), Wout, bout), next, keep)
`,
  'every other op': readFileSync(join(__dirname, '..', 'fixtures', 'every-op.grad'), 'utf8'),
};

for (const [name, text] of Object.entries(PROGRAMS)) {
  test(`PyTorch agrees with GradLens: ${name}`, { skip: skipReason() }, () => compare(name, text));
}

test('the cross-check can fail: a wrong gradient is detected', { skip: skipReason() }, () => {
  const session = analyzeSession('input x: [3] = [1, 2, 3]\nloss = sum(x * x)\n');
  const ref = runTorch(exportGraph(session));
  assert.deepEqual(ref.grads.x, [2, 4, 6]);
  const wrong = [2, 4, 6.000001];
  assert.ok(wrong.some((v, i) => Math.abs(v - (ref.grads.x as number[])[i]) > TOL));
});
