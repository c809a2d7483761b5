// One small program per op, at a size knob n: what the cost-model test (op-cost.test.ts) times and
// compares with the op's `cost`. Each program's node of the op reads inputs that need gradients,
// so its backward pass runs too. `n` scales the number of entries roughly linearly.

export interface OpCase {
  /** The op's id. */
  op: string;
  /** A program whose graph has a node of the op (the first one is timed). */
  program(n: number): string;
}

const vec = (n: number) => `dims N = ${n}\ninput x: [N] ~ randn\n`;
const mat = (n: number) => {
  const r = Math.max(1, Math.round(Math.sqrt(n)));
  return `dims R = ${r}, C = ${r}\ninput a: [R, C] ~ uniform(0.5, 2)\ninput b: [R, C] ~ uniform(0.5, 2)\n`;
};
const side = (n: number) => Math.max(2, Math.round(Math.sqrt(n)));
/** Square images with n pixels in all. */
const img = (n: number, c = 1) => `dims S = ${side(n / c)}\ninput x: [1, ${c}, S, S] ~ randn\n`;
const cube = (n: number) => Math.max(2, Math.round(Math.cbrt(n)));
/** A window w over a 2w × 2w image: about w² windows of w² entries, w⁴ = 16·n visits in all. */
const poolWindow = (n: number) => Math.max(2, Math.round(2 * Math.sqrt(Math.sqrt(n))));

const unary = (op: string, call = `${op}(x)`): OpCase => ({ op, program: (n) => `${vec(n)}y = ${call}\nloss = sum(y)\n` });
const binary = (op: string, sym: string): OpCase => ({ op, program: (n) => `${mat(n)}y = a ${sym} b\nloss = sum(y)\n` });

/**
 * A gradient function (`conv2d_dw`, …) in a gate's backward block: the gate applies `call` to its
 * inputs, and its backward block computes the gradient of input `grad` with it (the others are 0).
 */
function gradientCase(op: string, dims: (n: number) => string, inputs: [string, string, string][], out: string, call: string, grad: string, extra = ''): OpCase {
  return {
    op,
    program: (n) => {
      const decls = inputs.map(([name, shape, init]) => `${init === 'int' ? 'input' : 'param'} ${name}: ${init === 'int' ? 'int' : ''}${shape}${init === 'int' ? ' in 0..2' : ` ~ ${init}`}`).join('\n');
      const params = inputs.map(([name, shape, init]) => `${name}: ${init === 'int' ? 'int' : ''}${shape}`).join(', ');
      const lines = inputs.filter(([, , init]) => init !== 'int').map(([name]) => `    d${name} = ${name === grad ? `${op}(dout, ${inputs.map(([x]) => x).join(', ')}${extra})` : '0'}`);
      return `${dims(n)}\n${decls}\ngate g(${params}) -> out: ${out} {\n  out = ${call}\n  backward {\n${lines.join('\n')}\n  }\n}\nloss = sum(g(${inputs.map(([x]) => x).join(', ')}))\n`;
    },
  };
}

export const OP_CASES: OpCase[] = [
  binary('add', '+'),
  binary('sub', '-'),
  binary('mul', '*'),
  binary('div', '/'),
  { op: 'pow', program: (n) => `${mat(n)}y = a ** 1.3\nloss = sum(y)\n` },
  { op: 'matmul', program: (n) => `dims M = ${cube(n)}\ninput a: [M, M] ~ randn\ninput b: [M, M] ~ randn\nloss = sum(a @ b)\n` },
  { op: 'T', program: (n) => `${mat(n)}loss = sum(a.T * b)\n` },
  { op: 'transpose', program: (n) => `dims A = ${cube(n)}\ninput x: [A, A, A] ~ randn\nloss = sum(transpose(x, [2, 0, 1]) * x)\n` },
  { op: 'index', program: (n) => `${mat(n)}loss = sum(a[1:, :] * 2)\n` },
  binary('gt', '>'),
  binary('lt', '<'),
  binary('ge', '>='),
  binary('le', '<='),
  binary('eq', '=='),
  unary('exp'),
  { op: 'log', program: (n) => `${mat(n)}loss = sum(log(a))\n` },
  { op: 'sqrt', program: (n) => `${mat(n)}loss = sum(sqrt(a))\n` },
  unary('abs'),
  unary('square'),
  unary('tanh'),
  unary('sigmoid'),
  unary('relu'),
  unary('leaky_relu', 'leaky_relu(x, alpha=0.1)'),
  unary('elu'),
  unary('clip', 'clip(x, -0.5, 0.5)'),
  { op: 'sign', program: (n) => `${vec(n)}loss = sum(sign(x) * x)\n` },
  { op: 'maximum', program: (n) => `${mat(n)}loss = sum(max(a, b))\n` },
  { op: 'minimum', program: (n) => `${mat(n)}loss = sum(min(a, b))\n` },
  { op: 'sum', program: (n) => `${mat(n)}loss = sum(sum(a, axis=0) * 2)\n` },
  { op: 'mean', program: (n) => `${mat(n)}loss = sum(mean(a, axis=1) * 2)\n` },
  { op: 'max_reduce', program: (n) => `${mat(n)}loss = sum(max(a, axis=0) * 2)\n` },
  { op: 'min_reduce', program: (n) => `${mat(n)}loss = sum(min(a, axis=1) * 2)\n` },
  { op: 'logsumexp', program: (n) => `${mat(n)}loss = sum(logsumexp(a, axis=1) * 2)\n` },
  { op: 'reshape', program: (n) => `${mat(n)}loss = sum(reshape(a, [-1]) * 2)\n` },
  { op: 'concat', program: (n) => `${mat(n)}loss = sum(concat([a, b], axis=1) * 2)\n` },
  { op: 'stack', program: (n) => `${mat(n)}loss = sum(stack([a, b], axis=0) * 2)\n` },
  { op: 'expand_dims', program: (n) => `${mat(n)}loss = sum(expand_dims(a, 0) * 2)\n` },
  { op: 'ones_like', program: (n) => `${mat(n)}loss = sum(ones_like(a) * a)\n` },
  { op: 'zeros_like', program: (n) => `${mat(n)}loss = sum(zeros_like(a) + a)\n` },
  { op: 'softmax', program: (n) => `${mat(n)}loss = sum(softmax(a, axis=1) * b)\n` },
  { op: 'log_softmax', program: (n) => `${mat(n)}loss = sum(log_softmax(a, axis=1) * b)\n` },
  {
    op: 'maxout',
    program: (n) => {
      const m = cube(n);
      return `dims N = ${m}, D = ${m}, H = ${m}\ninput x: [N, D] ~ randn\nparam W1: [D, H] ~ randn\nparam b1: [H] ~ randn\nparam W2: [D, H] ~ randn\nparam b2: [H] ~ randn\nloss = sum(maxout(x, W1, b1, W2, b2))\n`;
    },
  },
  { op: 'dropout', program: (n) => `${vec(n)}loss = sum(dropout(x, p=0.3) * x)\n` },
  { op: 'batchnorm', program: (n) => `${mat(n)}param g: [C] ~ randn\nparam be: [C] ~ randn\nloss = sum(batchnorm(a, g, be) * b)\n` },
  { op: 'one_hot', program: (n) => `dims N = ${side(n)}, C = ${side(n)}\ninput y: int[N] in 0..C\ninput a: [N, C] ~ randn\nloss = sum(one_hot(y, C) * a)\n` },
  { op: 'pick', program: (n) => `dims N = ${side(n)}, C = ${side(n)}\ninput y: int[N] in 0..C\ninput a: [N, C] ~ randn\nloss = sum(pick(a, y) * 2)\n` },
  { op: 'conv2d', program: (n) => `${img(n / 4, 4)}param w: [8, 4, 3, 3] ~ randn\nparam b: [8] ~ randn\nloss = sum(conv2d(x, w, b, pad=1))\n` },
  { op: 'max_pool2d', program: (n) => `${img(n, 2)}loss = sum(max_pool2d(x, size=2, stride=2) * 2)\n` },
  { op: 'avg_pool2d', program: (n) => `${img(n, 2)}loss = sum(avg_pool2d(x, size=2, stride=2) * 2)\n` },
  // Large overlapping windows: the work grows with the window's area, not the image's.
  { op: 'max_pool2d', program: (n) => `dims S = ${2 * poolWindow(n)}\ninput x: [1, 1, S, S] ~ randn\nloss = sum(max_pool2d(x, size=${poolWindow(n)}, stride=1) * 2)\n` },
  { op: 'avg_pool2d', program: (n) => `dims S = ${2 * poolWindow(n)}\ninput x: [1, 1, S, S] ~ randn\nloss = sum(avg_pool2d(x, size=${poolWindow(n)}, stride=1) * 2)\n` },
  {
    op: 'rnn',
    program: (n) => {
      const m = cube(n);
      return `dims T = ${m}, N = 4, D = ${m}, H = ${m}\ninput x: [T, N, D] ~ randn\nparam h0: [N, H] ~ randn\nparam Wx: [D, H] ~ randn\nparam Wh: [H, H] ~ randn\nparam b: [H] ~ randn\nloss = sum(rnn(x, h0, Wx, Wh, b))\n`;
    },
  },
  { op: 'softmax_ce', program: (n) => `dims N = ${side(n)}, C = ${side(n)}\ninput y: int[N] in 0..C\ninput a: [N, C] ~ randn\nloss = softmax_ce(a, y)\n` },
  { op: 'svm', program: (n) => `dims N = ${side(n)}, C = ${side(n)}\ninput y: int[N] in 0..C\ninput a: [N, C] ~ randn\nloss = svm(a, y)\n` },
  { op: 'max_margin', program: (n) => `${mat(n)}loss = max_margin(a, b)\n` },
  { op: 'mse', program: (n) => `${mat(n)}loss = mse(a, b)\n` },
  { op: 'sigmoid_bce', program: (n) => `${mat(n)}loss = sigmoid_bce(a, b)\n` },
  { op: 'l2', program: (n) => `${vec(n)}loss = l2(x)\n` },
  { op: 'l1', program: (n) => `${vec(n)}loss = l1(x)\n` },
  { op: 'elastic', program: (n) => `${vec(n)}loss = elastic(x, 0.3)\n` },
  ...['x', 'w', 'b'].map((arg) =>
    gradientCase(`conv2d_d${arg}`, (n) => `dims S = ${side(n / 4)}`, [['x', '[1, 4, S, S]', 'randn'], ['w', '[4, 4, 3, 3]', 'randn'], ['b', '[4]', 'randn']], '[1, 4, S, S]', 'conv2d(x, w, b, pad=1)', arg, ', pad=1'),
  ),
  ...['max', 'avg'].map((kind) =>
    ({
      op: `${kind}_pool2d_dx`,
      program: (n: number) => {
        const o = Math.max(1, Math.round(side(n / 2) / 2));
        return gradientCase(`${kind}_pool2d_dx`, () => '', [['x', `[1, 2, ${2 * o}, ${2 * o}]`, 'randn']], `[1, 2, ${o}, ${o}]`, `${kind}_pool2d(x)`, 'x').program(n);
      },
    }),
  ),
  ...['x', 'h0', 'Wx', 'Wh', 'b'].map((arg) =>
    gradientCase(
      `rnn_d${arg}`,
      (n) => `dims T = ${cube(n)}, N = 4, D = ${cube(n)}, H = ${cube(n)}`,
      [['x', '[T, N, D]', 'randn'], ['h0', '[N, H]', 'randn'], ['Wx', '[D, H]', 'randn'], ['Wh', '[H, H]', 'randn'], ['b', '[H]', 'randn']],
      '[T, N, H]',
      'rnn(x, h0, Wx, Wh, b)',
      arg,
    ),
  ),
  { op: 'layernorm', program: (n) => `${mat(n)}param g: [C] ~ randn\nparam be: [C] ~ randn\nloss = sum(layernorm(a, g, be) * b)\n` },
  { op: 'batchnorm2d', program: (n) => `${img(n / 2, 2)}param g: [2] ~ randn\nparam be: [2] ~ randn\nloss = sum(batchnorm2d(x, g, be) * x)\n` },
  { op: 'groupnorm', program: (n) => `${img(n / 4, 4)}param g: [4] ~ randn\nparam be: [4] ~ randn\nloss = sum(groupnorm(x, g, be, 2) * x)\n` },
  { op: 'embedding', program: (n) => `dims V = ${side(n)}, D = ${side(n)}, K = ${side(n)}\nparam W: [V, D] ~ randn\ninput idx: int[K] in 0..V\nloss = sum(embedding(W, idx) * 2)\n` },
  { op: 'naive_softmax_loss', program: (n) => `dims V = ${side(n)}, D = ${side(n)}\nparam v: [D] ~ randn\nparam U: [V, D] ~ randn\ninput o: int in 0..V\nloss = naive_softmax_loss(v, U, o)\n` },
  { op: 'neg_sampling_loss', program: (n) => `dims V = ${side(n)}, D = ${side(n)}, K = ${side(n)}\nparam v: [D] ~ randn\nparam U: [V, D] ~ randn\ninput o: int in 0..V\ninput neg: int[K] in 0..V\nloss = neg_sampling_loss(v, U, o, neg)\n` },
  {
    op: 'lstm',
    program: (n) => {
      const m = cube(n);
      return `dims T = ${m}, N = 4, D = ${m}, H = ${m}, G = ${4 * m}\ninput x: [T, N, D] ~ randn\nparam h0: [N, H] ~ randn\nparam c0: [N, H] ~ randn\nparam Wx: [D, G] ~ randn\nparam Wh: [H, G] ~ randn\nparam b: [G] ~ randn\nloss = sum(lstm(x, h0, c0, Wx, Wh, b))\n`;
    },
  },
  unary('gelu'),
  unary('silu'),
  {
    op: 'attention',
    program: (n) => {
      const m = cube(n);
      return `dims N = 2, T = ${m}, d = ${m}\nparam q: [N, T, d] ~ randn\nparam k: [N, T, d] ~ randn\nparam v: [N, T, d] ~ randn\ninput keep: int[T, T] in 0..2\nloss = sum(attention(q, k, v, causal=true) * v)\n`;
    },
  },
  {
    op: 'multihead_attention',
    program: (n) => {
      const m = cube(n);
      return `dims N = 2, T = ${m}, D = ${2 * m}\nparam x: [N, T, D] ~ randn\nparam Wq: [D, D] ~ randn\nparam Wk: [D, D] ~ randn\nparam Wv: [D, D] ~ randn\nparam Wo: [D, D] ~ randn\nloss = sum(multihead_attention(x, Wq, Wk, Wv, Wo, 2) * x)\n`;
    },
  },
  { op: 'temporal_affine', program: (n) => `dims N = 2, T = ${cube(n)}, D = ${cube(n)}, M = ${cube(n)}\nparam x: [N, T, D] ~ randn\nparam w: [D, M] ~ randn\nparam b: [M] ~ randn\nloss = sum(temporal_affine(x, w, b))\n` },
  { op: 'temporal_softmax_ce', program: (n) => `dims N = 2, T = ${side(n / 2)}, V = ${side(n / 2)}\nparam x: [N, T, V] ~ randn\ninput y: int[N, T] in 0..V\ninput m: int[N, T] in 0..2\nloss = temporal_softmax_ce(x, y, m)\n` },
  gradientCase('gelu_dx', (n) => `dims N = ${n}`, [['x', '[N]', 'randn']], '[N]', 'gelu(x)', 'x'),
  ...['q', 'k', 'v'].map((arg) =>
    gradientCase(`attention_d${arg}`, (n) => `dims T = ${cube(n)}, d = ${cube(n)}`, [['q', '[2, T, d]', 'randn'], ['k', '[2, T, d]', 'randn'], ['v', '[2, T, d]', 'randn']], '[2, T, d]', 'attention(q, k, v)', arg),
  ),
  ...['x', 'Wq', 'Wk', 'Wv', 'Wo'].map((arg) =>
    gradientCase(
      `multihead_attention_d${arg}`,
      (n) => `dims T = ${cube(n)}, D = ${2 * cube(n)}`,
      [['x', '[2, T, D]', 'randn'], ['Wq', '[D, D]', 'randn'], ['Wk', '[D, D]', 'randn'], ['Wv', '[D, D]', 'randn'], ['Wo', '[D, D]', 'randn']],
      '[2, T, D]',
      'multihead_attention(x, Wq, Wk, Wv, Wo, 2)',
      arg,
      ', heads=2',
    ),
  ),
  ...['x', 'gamma', 'beta'].map((arg) =>
    gradientCase(`groupnorm_d${arg}`, (n) => `dims S = ${side(n / 4)}`, [['x', '[1, 4, S, S]', 'randn'], ['gamma', '[4]', 'randn'], ['beta', '[4]', 'randn']], '[1, 4, S, S]', 'groupnorm(x, gamma, beta, 2)', arg, ', 2'),
  ),
  ...['x', 'h0', 'c0', 'Wx', 'Wh', 'b'].map((arg) =>
    gradientCase(
      `lstm_d${arg}`,
      (n) => `dims T = ${cube(n)}, N = 4, D = ${cube(n)}, H = ${cube(n)}, G = ${4 * cube(n)}`,
      [['x', '[T, N, D]', 'randn'], ['h0', '[N, H]', 'randn'], ['c0', '[N, H]', 'randn'], ['Wx', '[D, G]', 'randn'], ['Wh', '[H, G]', 'randn'], ['b', '[G]', 'randn']],
      '[T, N, H]',
      'lstm(x, h0, c0, Wx, Wh, b)',
      arg,
    ),
  ),
  ...['x', 'gamma', 'beta'].map((arg) =>
    gradientCase(`batchnorm_d${arg}`, (n) => `dims R = ${side(n)}, C = ${side(n)}`, [['x', '[R, C]', 'randn'], ['gamma', '[C]', 'randn'], ['beta', '[C]', 'randn']], '[R, C]', 'batchnorm(x, gamma, beta)', arg),
  ),
  ...['x', 'W1', 'b1', 'W2', 'b2'].map((arg) =>
    gradientCase(
      `maxout_d${arg}`,
      (n) => `dims N = ${cube(n)}, D = ${cube(n)}, H = ${cube(n)}`,
      [['x', '[N, D]', 'randn'], ['W1', '[D, H]', 'randn'], ['b1', '[H]', 'randn'], ['W2', '[D, H]', 'randn'], ['b2', '[H]', 'randn']],
      '[N, H]',
      'maxout(x, W1, b1, W2, b2)',
      arg,
    ),
  ),
  {
    op: 'index_grad',
    program: (n) => `dims R = ${side(n)}, C = ${side(n)}\nparam a: [R, C] ~ randn\ngate g(a: [R, C]) -> out: [C] {\n  out = a[0]\n  backward {\n    da = index_grad(dout, a, [0])\n  }\n}\nloss = sum(g(a))\n`,
  },
];
