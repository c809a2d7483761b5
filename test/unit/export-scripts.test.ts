// Exported scripts, run for real with Debian's python3-torch / python3-numpy: every example (and the
// broken ones without static errors), plus programs that reach every op, gradient function and
// naming corner. The PyTorch script's gradients must match GradLens' to 1e-10, both scripts must
// exit 0 exactly when GradLens' gate checks pass, and they must name the same failing checks.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeSession, type AnalysisSession } from '../../src/core/analyze';
import { deriveGateInText } from '../../src/core/checks/derive';
import { exportNumpy, exportTorch, type ExportOptions } from '../../src/core/export';
import type { Tensor } from '../../src/core/tensor/tensor';
import { pythonSkip, runScript, writeExport, type ScriptRun } from './helpers/exportRun';

const examples = join(__dirname, '..', '..', 'examples');
const TOL = 1e-10;

interface Case {
  name: string;
  text: string;
  options?: ExportOptions;
}

const CASES: Case[] = [
  ...readdirSync(examples)
    .filter((f) => f.endsWith('.grad'))
    .sort()
    .map((f) => ({ name: `examples/${f}`, text: readFileSync(join(examples, f), 'utf8') })),
  ...readdirSync(join(examples, 'broken'))
    .filter((f) => f.endsWith('.grad'))
    .sort()
    .map((f) => ({ name: `examples/broken/${f}`, text: readFileSync(join(examples, 'broken', f), 'utf8') })),
];

// Every op without a gate (as the PyTorch cross-check), and with values forced into the .npz.
CASES.push({
  name: 'every other op',
  text: readFileSync(join(__dirname, '..', 'fixtures', 'every-op.grad'), 'utf8'),
  options: { embedLimit: 0 },
});

// Names Python or the scripts already use, a gate named like a builtin, `dX = 0`, Python numbers
// as gate arguments, a 3-D .T, comparisons inside arithmetic.
CASES.push({
  name: 'names that collide with Python and the scripts',
  text: `seed 2
dims F = 3, N = 4, np = 2
input lambda: [N, F]
input ctx: [np, N, F]
param torch: [F] ~ normal(0.5)
param sum: [F, F] ~ xavier
param cache: [F] ~ normal(0.1)
gate print(x: [B, F], w: [F]) -> out: [B, F] {
  out = x * w
  backward {
    dx = dout * w
    dw = sum(dout * x, axis=0)
  }
}
gate scale(x: [B, F], s: [], unused: [F]) -> out: [B, F] {
  out = x * s + 1
  backward {
    dx = dout * s
    ds = sum(dout * x)
    dunused = 0
  }
}
gate main(x: [B, F]) -> y: [B, F] {
  y = relu(x) + 0.5 * (x > 0) * x - (x < -1) * 0.1
}
h = scale(print(lambda, torch), 2, cache) @ sum
h2 = main(h) + mean(ctx.T, axis=2).T
loss = sum(h2 ** 2) / N + mean(F * h)
`,
});

// Backward blocks written by "Derive backward": gradient functions (conv2d_dx, max_pool2d_dx,
// rnn_dWh, batchnorm_dx, maxout_dW1, index_grad) inside hand-written gates.
const TO_DERIVE: Record<string, string> = {
  'derived: conv, relu, max pool': `seed 3
dims N = 2, C = 2, S = 6, F = 3
input x: [N, C, S, S]
param w: [F, C, 3, 3] ~ he
param b: [F] ~ normal(0.1)
gate crp(x: [N, C, S, S], w: [F, C, 3, 3], b: [F]) -> out: [N, F, 3, 3] {
  c = relu(conv2d(x, w, b, pad=1))
  out = max_pool2d(c, size=2, stride=2)
}
loss = sum(crp(x, w, b) ** 2)
`,
  'derived: average pooling, strided conv': `seed 4
dims N = 2, C = 2, S = 7, F = 2
input x: [N, C, S, S]
param w: [F, C, 3, 3] ~ he
param b: [F] ~ normal(0.1)
gate cap(x: [N, C, S, S], w: [F, C, 3, 3], b: [F]) -> out: [N, F, 2, 2] {
  out = avg_pool2d(tanh(conv2d(x, w, b, stride=2, pad=1)), size=2, stride=2)
}
loss = sum(cap(x, w, b) ** 2)
`,
  'derived: rnn with BPTT': `seed 5
dims T = 4, N = 2, D = 3, H = 4
input x: [T, N, D]
param h0: [N, H] ~ normal(0.1)
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] ~ normal(0.1)
gate r(x: [T, N, D], h0: [N, H], Wx: [D, H], Wh: [H, H], b: [H]) -> out: [] {
  hs = rnn(x, h0, Wx, Wh, b)
  out = mean(hs[-1] * hs[-1]) + l1(Wx) + elastic(Wh, 0.5)
}
loss = r(x, h0, Wx, Wh, b)
`,
  'derived: batchnorm and maxout': `seed 6
dims N = 5, D = 4, H = 3
input x: [N, D]
param g: [D] ~ uniform(0.5, 1.5)
param be: [D] ~ normal(0.1)
param W1: [D, H] ~ xavier
param b1: [H] ~ normal(0.1)
param W2: [D, H] ~ xavier
param b2: [H] ~ normal(0.1)
gate bm(x: [N, D], g: [D], be: [D], W1: [D, H], b1: [H], W2: [D, H], b2: [H]) -> out: [] {
  out = sum(maxout(batchnorm(x, g, be), W1, b1, W2, b2) ** 2)
}
loss = bm(x, g, be, W1, b1, W2, b2)
`,
  'derived: layernorm, batchnorm2d and groupnorm': `seed 8
dims N = 3, C = 4, H = 2
input x: [N, C, H, H]
param g: [C] ~ uniform(0.5, 1.5)
param be: [C] ~ normal(0.1)
param gl: [H] ~ uniform(0.5, 1.5)
param bl: [H] ~ normal(0.1)
gate norms(x: [N, C, H, H], g: [C], be: [C], gl: [H], bl: [H]) -> out: [] {
  a = groupnorm(x, g, be, 2)
  b = batchnorm2d(a * a, g, be, eps=0.001)
  out = sum(layernorm(b, gl, bl) ** 3)
}
loss = norms(x, g, be, gl, bl)
`,
  'derived: lstm with BPTT': `seed 9
dims T = 4, N = 2, D = 3, H = 2, G = 8
input x: [T, N, D]
param h0: [N, H] ~ normal(0.5)
param c0: [N, H] ~ normal(0.5)
param Wx: [D, G] ~ xavier
param Wh: [H, G] ~ xavier
param b: [G] ~ normal(0.3)
gate l(x: [T, N, D], h0: [N, H], c0: [N, H], Wx: [D, G], Wh: [H, G], b: [G]) -> out: [] {
  hs = lstm(x, h0, c0, Wx, Wh, b)
  out = sum(hs * hs)
}
loss = l(x, h0, c0, Wx, Wh, b)
`,
  'derived: attention with a mask, causal multi-head attention, gelu': `seed 10
dims N = 2, T = 4, D = 4
input x: [N, T, D]
input keep: int[N, 1, T] = [[[1, 1, 0, 1]], [[1, 1, 1, 1]]]
param Wq: [D, D] ~ xavier
param Wk: [D, D] ~ xavier
param Wv: [D, D] ~ xavier
param Wo: [D, D] ~ xavier
gate att(x: [N, T, D], keep: int[N, 1, T], Wq: [D, D], Wk: [D, D], Wv: [D, D], Wo: [D, D]) -> out: [] {
  a = attention(x @ Wq, x, gelu(x), keep)
  m = multihead_attention(a, Wq, Wk, Wv, Wo, 2, causal=true)
  out = sum(m * m) + sum(silu(a))
}
loss = att(x, keep, Wq, Wk, Wv, Wo)
`,
  'derived: sigmoid neuron with index_grad': `param w: [3] = [2, -3, -3]
input x: [2] = [-1, -2]
gate neuron(w: [K], x: [J]) -> f: [] {
  f = 1 / (1 + exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
}
out = neuron(w, x)
`,
  'derived: elementwise zoo with labels': `seed 7
dims N = 3, C = 4
input s: [N, C]
input t: [N, C] ~ uniform(0, 1)
input y: int[N] in 0..C
gate zoo(s: [N, C], t: [N, C], y: int[N]) -> loss: [] {
  a = sigmoid(s) * tanh(s) + exp(s * 0.1) / (1 + abs(s)) - sqrt(square(s) + 1) + leaky_relu(s, alpha=0.2) + elu(s) + clip(s, -0.5, 0.5)
  p = softmax(a, axis=1)
  loss = -mean(pick(log_softmax(s, axis=1), y)) + sum(p * p) + mean(max(a, axis=1)) + sum(logsumexp(s, axis=1)) + mse(a, t) + sigmoid_bce(s, t) + sum(min(a, s * 0.5) * t) + sum(reshape(a, [-1]) ** 2) / N
}
L = zoo(s, t, y)
`,
};
for (const [name, text] of Object.entries(TO_DERIVE)) {
  const gate = (/gate (\w+)/.exec(text) as RegExpExecArray)[1];
  const d = deriveGateInText(text, gate);
  if (!d.ok) throw new Error(`${name}: derive failed: ${d.message}`);
  CASES.push({ name, text: text.slice(0, d.edit.span.start) + d.edit.newText + text.slice(d.edit.span.end) });
}

/** Errors that stop an export (everything but failed checks of the numbers). */
function blocking(session: AnalysisSession): string[] {
  return session.analysis.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'gradcheck-failed' && d.code !== 'expect-failed').map((d) => d.code);
}

function failing(session: AnalysisSession, kind: 'gate' | 'tensor'): string[] {
  return session.checks
    .filter((c) => c.kind === kind && c.verdict === 'fail')
    .map((c) => c.target)
    .sort();
}

function report(run: ScriptRun): string {
  return `exit ${run.status}\n--- stdout\n${run.stdout.slice(-3000)}\n--- stderr\n${run.stderr.slice(-3000)}`;
}

const torchSkip = pythonSkip('torch');
const numpySkip = pythonSkip('numpy');
const timings: string[] = [];

describe('exported scripts', { concurrency: 2 }, () => {
  for (const c of CASES) {
    const fileName = `${c.name.replace(/^.*\//, '').replace(/\.grad$/, '').replace(/[^\w-]+/g, '-')}.grad`;
    const session = analyzeSession(c.text, { fileName });
    const errors = blocking(session);
    if (errors.length) {
      test(`${c.name} is not exported: it has errors (${[...new Set(errors)].join(', ')})`, () => {
        for (const r of [exportTorch(c.text, { fileName }), exportNumpy(c.text, { fileName })]) {
          assert.equal(r.ok, false);
          if (!r.ok) {
            assert.equal(r.reason, 'errors');
            assert.match(r.error, /has \d+ errors?; fix/);
          }
        }
      });
      continue;
    }
    const gateFails = failing(session, 'gate');

    test(`PyTorch export of ${c.name} runs and agrees with GradLens`, { skip: torchSkip }, async () => {
      const r = exportTorch(c.text, { fileName, ...c.options });
      assert.ok(r.ok, r.ok ? '' : r.error);
      const { dir, script } = writeExport(r);
      const run = await runScript(script, dir);
      timings.push(`torch ${c.name}: ${run.ms} ms`);
      assert.equal(run.status, gateFails.length ? 1 : 0, `${c.name}: GradLens' failing gate checks: [${gateFails.join(', ')}]\n${report(run)}`);
      const json = run.json as { value: number; grads: Record<string, number[] | null>; failed: string[] };
      assert.ok(json, report(run));
      assert.deepEqual([...json.failed].sort(), gateFails, report(run));
      const ex = session.execution;
      const graph = session.graph;
      assert.ok(ex && graph && graph.root !== null);
      const root = ex.values[graph.root]?.data[0] as number;
      assert.ok(Math.abs(json.value - root) <= TOL * Math.max(1, Math.abs(root)), `${c.name}: root ${json.value} vs GradLens ${root}`);
      let compared = 0;
      for (const [leaf, g] of Object.entries(json.grads)) {
        const id = graph.named.get(leaf);
        assert.ok(id !== undefined, `${leaf} is not a GradLens name`);
        const ours: Tensor | null = ex.grads[id];
        if (g === null) {
          assert.equal(ours, null, `${c.name}: torch gives ${leaf} no gradient`);
          continue;
        }
        assert.ok(ours, `${c.name}: GradLens gives ${leaf} no gradient`);
        assert.equal(g.length, ours.size);
        const scale = Math.max(1e-3, ...g.map(Math.abs));
        for (let i = 0; i < g.length; i++) {
          assert.ok(Math.abs(ours.data[i] - g[i]) <= TOL * scale, `${c.name}: d${leaf}[${i}] = ${ours.data[i]} in GradLens, ${g[i]} in torch`);
        }
        compared++;
      }
      assert.ok(compared > 0, `${c.name}: no gradients compared`);
    });

    test(`NumPy export of ${c.name} runs and its checks agree with GradLens'`, { skip: numpySkip }, async () => {
      const r = exportNumpy(c.text, { fileName, ...c.options });
      assert.ok(r.ok, r.ok ? '' : r.error);
      const { dir, script } = writeExport(r);
      const run = await runScript(script, dir);
      timings.push(`numpy ${c.name}: ${run.ms} ms`);
      const json = run.json as { value: number; checks: { kind: string; target: string; verdict: string }[] };
      assert.ok(json, report(run));
      const fails = (kind: string) =>
        json.checks
          .filter((x) => x.kind === kind && x.verdict === 'fail')
          .map((x) => x.target)
          .sort();
      assert.deepEqual(fails('gate'), gateFails, `gate checks\n${report(run)}`);
      assert.deepEqual(fails('tensor'), failing(session, 'tensor'), `gradient checks\n${report(run)}`);
      const anyFail = gateFails.length + failing(session, 'tensor').length > 0;
      assert.equal(run.status, anyFail ? 1 : 0, report(run));
      const root = session.execution?.values[session.graph?.root ?? -1]?.data[0] as number;
      assert.ok(Math.abs(json.value - root) <= 1e-9 * Math.max(1, Math.abs(root)), `${c.name}: numpy's forward gives ${json.value}, GradLens ${root}`);
    });
  }
});

test('timings of the exported scripts', { skip: torchSkip || numpySkip }, () => {
  // Reported, not asserted: how long the scripts take on this machine.
  process.stdout.write(`# ${timings.length} scripts run:\n${timings.map((t) => `#   ${t}`).join('\n')}\n`);
});
