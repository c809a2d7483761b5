// Each op's backward rule is written twice: numerically (`backward`, what the engine runs) and
// symbolically (`derive`, or its `<op>_d<arg>` gradient functions, what "Derive backward" writes).
// For every differentiable op, a gate applying it to random inputs gets a derived backward block;
// the gradients that block computes must be the engine's automatic ones (relative 1e-10).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { deriveGateInText } from '../../src/core/checks/derive';
import { ALL_OPS } from '../../src/core/ops/registry';

const TOL = 1e-10;
const DIMS = 'dims N = 4, D = 3, K = 2, C = 3, T = 3, H = 2, S = 5, F = 2';

interface Case {
  /** The op exercised (the test checks the gate really applies it). */
  op: string;
  /** Gate parameters; each is also an input of the program, random unless `init` says otherwise. */
  params: string;
  out: string;
  /** The gate body: `out = body`. */
  body: string;
  /** Inits keeping inputs in the op's domain (log, sqrt, a divisor, a probability); an int input's range (default 0..C). */
  init?: Record<string, string>;
}

const POSITIVE = 'uniform(0.5, 2)';

const CASES: Case[] = [
  { op: 'add', params: 'a: [N, D], b: [D]', out: '[N, D]', body: 'a + b' },
  { op: 'sub', params: 'a: [N, D], b: [N, 1]', out: '[N, D]', body: 'a - b' },
  { op: 'mul', params: 'a: [N, D], b: [N, D]', out: '[N, D]', body: 'a * b' },
  { op: 'mul', params: 'a: [N, D], s: []', out: '[N, D]', body: 'a * s' },
  { op: 'div', params: 'a: [N, D], b: [D]', out: '[N, D]', body: 'a / b', init: { b: POSITIVE } },
  { op: 'pow', params: 'x: [N, D], p: []', out: '[N, D]', body: 'x ** p', init: { x: POSITIVE, p: 'uniform(1, 2)' } },
  { op: 'pow', params: 'x: [N, D]', out: '[N, D]', body: 'x ** 3' },
  { op: 'matmul', params: 'a: [N, D], b: [D, K]', out: '[N, K]', body: 'a @ b' },
  { op: 'matmul', params: 'v: [D], b: [D, K]', out: '[K]', body: 'v @ b' },
  { op: 'matmul', params: 'a: [N, D], v: [D]', out: '[N]', body: 'a @ v' },
  { op: 'matmul', params: 'u: [D], v: [D]', out: '[]', body: 'u @ v' },
  { op: 'matmul', params: 'a: [T, N, D], b: [D, K]', out: '[T, N, K]', body: 'a @ b' },
  { op: 'T', params: 'x: [N, D]', out: '[D, N]', body: 'x.T' },
  { op: 'transpose', params: 'x: [N, D, K]', out: '[K, N, D]', body: 'transpose(x, [2, 0, 1])' },
  { op: 'index', params: 'x: [N, D]', out: '[]', body: 'x[1, 2]' },
  { op: 'index', params: 'x: [N, D]', out: '[D]', body: 'x[-1]' },
  { op: 'exp', params: 'x: [N, D]', out: '[N, D]', body: 'exp(x)' },
  { op: 'log', params: 'x: [N, D]', out: '[N, D]', body: 'log(x)', init: { x: POSITIVE } },
  { op: 'sqrt', params: 'x: [N, D]', out: '[N, D]', body: 'sqrt(x)', init: { x: POSITIVE } },
  { op: 'abs', params: 'x: [N, D]', out: '[N, D]', body: 'abs(x)' },
  { op: 'square', params: 'x: [N, D]', out: '[N, D]', body: 'square(x)' },
  { op: 'tanh', params: 'x: [N, D]', out: '[N, D]', body: 'tanh(x)' },
  { op: 'sigmoid', params: 'x: [N, D]', out: '[N, D]', body: 'sigmoid(x)' },
  { op: 'relu', params: 'x: [N, D]', out: '[N, D]', body: 'relu(x)' },
  { op: 'leaky_relu', params: 'x: [N, D]', out: '[N, D]', body: 'leaky_relu(x, alpha=0.2)' },
  { op: 'leaky_relu', params: 'x: [N, D]', out: '[N, D]', body: 'leaky_relu(x)' },
  { op: 'elu', params: 'x: [N, D]', out: '[N, D]', body: 'elu(x, alpha=0.7)' },
  { op: 'clip', params: 'x: [N, D]', out: '[N, D]', body: 'clip(x, -0.5, 0.5)' },
  { op: 'maximum', params: 'a: [N, D], b: [N, D]', out: '[N, D]', body: 'max(a, b)' },
  { op: 'minimum', params: 'a: [N, D], b: [D]', out: '[N, D]', body: 'min(a, b)' },
  { op: 'sum', params: 'x: [N, D]', out: '[D]', body: 'sum(x, axis=0)' },
  { op: 'sum', params: 'x: [N, D]', out: '[]', body: 'sum(x)' },
  { op: 'sum', params: 'x: [N, D]', out: '[N, 1]', body: 'sum(x, axis=1, keepdims=true)' },
  { op: 'mean', params: 'x: [N, D]', out: '[N]', body: 'mean(x, axis=1)' },
  { op: 'mean', params: 'x: [N, D]', out: '[]', body: 'mean(x)' },
  { op: 'max_reduce', params: 'x: [N, D]', out: '[N]', body: 'max(x, axis=1)' },
  { op: 'max_reduce', params: 'x: [N, D]', out: '[]', body: 'max(x)' },
  { op: 'min_reduce', params: 'x: [N, D]', out: '[D]', body: 'min(x, axis=0)' },
  { op: 'logsumexp', params: 'x: [N, D]', out: '[N]', body: 'logsumexp(x, axis=1)' },
  { op: 'reshape', params: 'x: [N, D]', out: '[D, N]', body: 'reshape(x, [D, N])' },
  { op: 'expand_dims', params: 'x: [N, D]', out: '[1, N, D]', body: 'expand_dims(x, axis=0)' },
  { op: 'softmax', params: 'x: [N, D]', out: '[N, D]', body: 'softmax(x, axis=1)' },
  { op: 'log_softmax', params: 'x: [N, D]', out: '[N, D]', body: 'log_softmax(x, axis=0)' },
  { op: 'maxout', params: 'x: [N, D], W1: [D, K], b1: [K], W2: [D, K], b2: [K]', out: '[N, K]', body: 'maxout(x, W1, b1, W2, b2)' },
  { op: 'batchnorm', params: 'x: [N, D], g: [D], be: [D]', out: '[N, D]', body: 'batchnorm(x, g, be)' },
  { op: 'pick', params: 'x: [N, C], y: int[N]', out: '[N]', body: 'pick(x, y)' },
  { op: 'layernorm', params: 'x: [N, D], g: [D], be: [D]', out: '[N, D]', body: 'layernorm(x, g, be)' },
  { op: 'layernorm', params: 'x: [T, N, D], g: [D], be: [D]', out: '[T, N, D]', body: 'layernorm(x, g, be, eps=0.001)' },
  { op: 'embedding', params: 'W: [C, D], i: int[N]', out: '[N, D]', body: 'embedding(W, i)' },
  { op: 'embedding', params: 'W: [C, D], i: int[T, N]', out: '[T, N, D]', body: 'embedding(W, i)' },
  { op: 'embedding', params: 'W: [C, D], i: int[]', out: '[D]', body: 'embedding(W, i)' },
  { op: 'naive_softmax_loss', params: 'v: [D], U: [C, D], o: int[]', out: '[]', body: 'naive_softmax_loss(v, U, o)' },
  { op: 'naive_softmax_loss', params: 'v: [D], U: [C, D], o: int[N]', out: '[]', body: 'naive_softmax_loss(v, U, o)' },
  { op: 'neg_sampling_loss', params: 'v: [D], U: [C, D], o: int[], ns: int[N]', out: '[]', body: 'neg_sampling_loss(v, U, o, ns)' },
  { op: 'batchnorm2d', params: 'x: [N, C, H, S], g: [C], be: [C]', out: '[N, C, H, S]', body: 'batchnorm2d(x, g, be)' },
  { op: 'groupnorm', params: 'x: [N, 4, H, S], g: [4], be: [4]', out: '[N, 4, H, S]', body: 'groupnorm(x, g, be, 2)' },
  { op: 'groupnorm', params: 'x: [N, C, S], g: [C], be: [C]', out: '[N, C, S]', body: 'groupnorm(x, g, be, G=3, eps=0.01)' },
  { op: 'conv2d', params: 'x: [N, K, S, S], w: [F, K, 3, 3], b: [F]', out: '[N, F, S, S]', body: 'conv2d(x, w, b, stride=1, pad=1)' },
  { op: 'max_pool2d', params: 'x: [N, K, S, S]', out: '[N, K, 4, 4]', body: 'max_pool2d(x, size=2, stride=1)' },
  { op: 'avg_pool2d', params: 'x: [N, K, S, S]', out: '[N, K, 2, 2]', body: 'avg_pool2d(x, size=2, stride=2)' },
  { op: 'rnn', params: 'x: [T, N, D], h0: [N, H], Wx: [D, H], Wh: [H, H], b: [H]', out: '[T, N, H]', body: 'rnn(x, h0, Wx, Wh, b)' },
  { op: 'lstm', params: 'x: [T, N, D], h0: [N, H], c0: [N, H], Wx: [D, 8], Wh: [H, 8], b: [8]', out: '[T, N, H]', body: 'lstm(x, h0, c0, Wx, Wh, b)' },
  { op: 'gelu', params: 'x: [N, D]', out: '[N, D]', body: 'gelu(x)' },
  { op: 'silu', params: 'x: [N, D]', out: '[N, D]', body: 'silu(x)' },
  { op: 'attention', params: 'q: [N, T, D], k: [N, S, D], v: [N, S, K]', out: '[N, T, K]', body: 'attention(q, k, v)' },
  { op: 'attention', params: 'q: [S, D], k: [S, D], v: [S, K], m: int[S, S]', out: '[S, K]', body: 'attention(q, k, v, m)', init: { m: '0..2' } },
  { op: 'multihead_attention', params: 'x: [N, T, 4], Wq: [4, 4], Wk: [4, 4], Wv: [4, 4], Wo: [4, 4]', out: '[N, T, 4]', body: 'multihead_attention(x, Wq, Wk, Wv, Wo, 2, causal=true)' },
  { op: 'temporal_affine', params: 'x: [N, T, D], w: [D, K], b: [K]', out: '[N, T, K]', body: 'temporal_affine(x, w, b)' },
  { op: 'temporal_softmax_ce', params: 'x: [N, T, C], y: int[N, T], m: int[N, T]', out: '[]', body: 'temporal_softmax_ce(x, y, m)', init: { m: '0..2' } },
  { op: 'softmax_ce', params: 's: [N, C], y: int[N]', out: '[]', body: 'softmax_ce(s, y)' },
  { op: 'svm', params: 's: [N, C], y: int[N]', out: '[]', body: 'svm(s, y, delta=1)' },
  { op: 'max_margin', params: 's: [N, 1], sc: [N, K]', out: '[]', body: 'max_margin(s, sc, delta=1)' },
  { op: 'max_margin', params: 's: [N], sc: [N]', out: '[]', body: 'max_margin(s, sc)' },
  { op: 'mse', params: 'p: [N, D], t: [N, D]', out: '[]', body: 'mse(p, t)' },
  { op: 'mse', params: 'p: [N, 1], t: [N, K]', out: '[]', body: 'mse(p, t)' },
  { op: 'sigmoid_bce', params: 'x: [N, D], t: [N, D]', out: '[]', body: 'sigmoid_bce(x, t)', init: { t: 'uniform(0, 1)' } },
  { op: 'sigmoid_bce', params: 'x: [N, 1], t: [N, K]', out: '[]', body: 'sigmoid_bce(x, t)', init: { t: 'uniform(0, 1)' } },
  { op: 'l2', params: 'W: [D, K]', out: '[]', body: 'l2(W)' },
  { op: 'l1', params: 'W: [D, K]', out: '[]', body: 'l1(W)' },
  { op: 'elastic', params: 'W: [D, K]', out: '[]', body: 'elastic(W, 0.3)' },
];

/** Ops whose backward rule cannot be written as .grad text: the deriver must say why. */
const CANNOT_DERIVE: (Case & { why: RegExp })[] = [
  { op: 'dropout', params: 'x: [N, D]', out: '[N, D]', body: 'dropout(x, p=0.5)', why: /dropout's mask is drawn at run time/ },
  { op: 'stack', params: 'a: [N, D], b: [N, D]', out: '[N, 2, D]', body: 'stack([a, b], axis=1)', why: /cannot write the gradient of stack/ },
  { op: 'concat', params: 'a: [N, D], b: [N, K]', out: '[N, 5]', body: 'concat([a, b], axis=1)', why: /cannot write the gradient of concat/ },
  // Indexing single positions derives (above); slices do not yet.
  { op: 'index', params: 'x: [N, D]', out: '[2]', body: 'x[1:3, 0]', why: /cannot write the gradient of a slice/ },
];

function paramList(c: Case): { name: string; type: string }[] {
  return c.params.split(/,\s*(?![^[]*\])/).map((p) => {
    const [name, type] = p.split(/:\s*/);
    return { name, type };
  });
}

/** A program calling gate `f` (whose body applies the op) on random inputs, against a random upstream gradient. */
function program(c: Case): string {
  const params = paramList(c);
  const inputs = params.map(({ name, type }) => (type.startsWith('int') ? `input ${name}: ${type} in ${c.init?.[name] ?? '0..C'}` : `input ${name}: ${type} ~ ${c.init?.[name] ?? 'normal(1)'}`));
  return [
    'seed 17',
    DIMS,
    ...inputs,
    `input up: ${c.out} ~ normal(1)`,
    `gate f(${c.params}) -> out: ${c.out} {`,
    `  out = ${c.body}`,
    '}',
    `loss = sum(f(${params.map((p) => p.name).join(', ')}) * up)`,
    '',
  ].join('\n');
}

/** The gradients of the float inputs, and the ops the gate applies. */
function gradients(text: string): { grads: Map<string, number[]>; ops: Set<string> } {
  const s = analyzeSession(text, { gradcheck: false });
  const problems = s.analysis.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`);
  assert.deepEqual(problems, [], text);
  const grads = new Map<string, number[]>();
  for (const n of s.analysis.nodes) if (n.kind === 'input' && n.grad) grads.set(n.name, Array.from(n.grad));
  const ops = new Set<string>();
  for (const n of s.graph?.nodes ?? []) if (n.gateCall !== null && n.op) ops.add(n.op.id);
  return { grads, ops };
}

/** Worst relative difference between two gradients of the same inputs (exact zeros agree). */
function worstDifference(a: Map<string, number[]>, b: Map<string, number[]>, names: string[]): { rel: number; where: string } {
  let worst = { rel: 0, where: '' };
  for (const name of names) {
    const x = a.get(name);
    const y = b.get(name);
    assert.ok(x && y, `d${name} is missing`);
    assert.equal(x.length, y.length);
    x.forEach((v, i) => {
      const diff = Math.abs(v - y[i]);
      const rel = diff === 0 ? 0 : diff / Math.max(Math.abs(v), Math.abs(y[i]));
      if (rel > worst.rel) worst = { rel, where: `d${name}[${i}]: ${v} automatic vs ${y[i]} derived` };
    });
  }
  return worst;
}

function withDerivedBlock(text: string): { text: string; block: string } {
  const r = deriveGateInText(text, 'f');
  assert.ok(r.ok, r.ok ? '' : r.message);
  return { text: text.slice(0, r.edit.span.start) + r.edit.newText + text.slice(r.edit.span.end), block: r.block };
}

test('every differentiable op has a derive case here or is listed as not derivable', () => {
  const covered = new Set([...CASES, ...CANNOT_DERIVE].map((c) => c.op));
  const missing = ALL_OPS.filter((op) => !op.noGrad && !op.backwardOnly && !covered.has(op.id)).map((op) => op.id);
  assert.deepEqual(missing, [], 'add a case for each new op (or list it in CANNOT_DERIVE with the reason)');
});

for (const c of CASES) {
  test(`derived backward = engine backward: ${c.body}`, () => {
    const text = program(c);
    const automatic = gradients(text);
    assert.ok(automatic.ops.has(c.op), `the gate applies ${[...automatic.ops].join(', ')}, not ${c.op}`);
    const derived = withDerivedBlock(text);
    const floats = paramList(c).filter((p) => !p.type.startsWith('int')).map((p) => p.name);
    const worst = worstDifference(automatic.grads, gradients(derived.text).grads, floats);
    assert.ok(worst.rel <= TOL, `${worst.where} (relative ${worst.rel.toExponential(2)})\n${derived.block}`);
  });
}

for (const c of CANNOT_DERIVE) {
  test(`derive explains why it cannot write: ${c.body}`, () => {
    const r = deriveGateInText(program(c), 'f');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.message, c.why);
  });
}

test('the comparison sees the backward block: a wrong one is caught', () => {
  const c = CASES[0];
  const text = program(c);
  const { text: right } = withDerivedBlock(text);
  const wrong = right.replace(/(\n\s*da = )(.*)/, '$1 2 * ($2)');
  assert.notEqual(wrong, right);
  const floats = ['a', 'b'];
  assert.ok(worstDifference(gradients(text).grads, gradients(right).grads, floats).rel <= TOL);
  assert.ok(worstDifference(gradients(text).grads, gradients(wrong).grads, floats).rel > 0.1);
});
