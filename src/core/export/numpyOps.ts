// NumPy templates: every op id of the op table as numpy code, cs231n style. Ops numpy lacks
// (softmax_ce, conv2d, pooling, rnn, the gradient functions, …) call small helper functions that
// the script defines in its prelude only when they are used.
import { call, py, PREC, pyTuple, wrap } from './pyExpr';
import { expr, gradientFunctions, helperCall, listText, OPERATORS } from './opKit';
import type { ExprTemplate, HelperDef, OpTemplate, TargetOps } from './templates';
import { axesAttr } from '../shapes/axes';
import { NUMPY_ATTENTION_BACKWARDS, NUMPY_ATTENTION_HELPERS, NUMPY_ATTENTION_TEMPLATES } from './attentionOps';
import { NUMPY_LAYER_BACKWARDS, NUMPY_LAYER_HELPERS, NUMPY_LAYER_TEMPLATES } from './layerOps';

/** `np.sum(x)`, `np.sum(x, axis=0)`, `np.max(x, axis=(0, 1), keepdims=True)`. */
function reduction(name: string): ExprTemplate {
  return expr(({ args: [x], attr }) => {
    const axes = axesAttr(attr('axis').value);
    const keep = attr('keepdims').value === true;
    const axis = axes === null ? [] : [`axis=${axes.length === 1 ? String(axes[0]) : pyTuple(axes.map(String))}`];
    return call(name, [x, ...axis, ...(keep ? ['keepdims=True'] : [])]);
  }, 'keep');
}

const np = (name: string) => expr(({ args }) => call(`np.${name}`, args), 'keep');

const TEMPLATES: Record<string, OpTemplate> = {
  ...OPERATORS,
  T: expr(({ args: [x], types: [t] }) => (t.shape.length < 2 ? x : py(`${wrap(x, PREC.POSTFIX)}.T`, PREC.POSTFIX)), 'keep'),
  transpose: expr(({ args: [x], attr }) => {
    const axes = axesAttr(attr('axes').value);
    return call('np.transpose', axes === null ? [x] : [x, pyTuple(axes.map(String))]);
  }, 'keep'),
  exp: np('exp'),
  log: np('log'),
  sqrt: np('sqrt'),
  abs: np('abs'),
  square: np('square'),
  tanh: np('tanh'),
  sigmoid: helperCall('sigmoid'),
  relu: expr(({ args: [x] }) => call('np.maximum', [x, '0']), 'keep'),
  leaky_relu: expr(({ args: [x], attr }) => call('np.where', [`${wrap(x, PREC.ADD)} > 0`, x, `${attr('alpha').code} * ${wrap(x, PREC.MUL + 1)}`]), 'keep'),
  elu: expr(({ args: [x], attr }) => call('np.where', [`${wrap(x, PREC.ADD)} > 0`, x, `${attr('alpha').code} * (np.exp(np.minimum(${x.code}, 0)) - 1)`]), 'keep'),
  clip: expr(({ args: [x], attr }) => call('np.clip', [x, attr('lo').code, attr('hi').code]), 'keep'),
  sign: np('sign'),
  maximum: np('maximum'),
  minimum: np('minimum'),
  sum: reduction('np.sum'),
  mean: reduction('np.mean'),
  max_reduce: reduction('np.max'),
  min_reduce: reduction('np.min'),
  logsumexp: expr((t) => {
    const axes = axesAttr(t.attr('axis').value);
    const keep = t.attr('keepdims').value === true;
    const axis = axes === null ? [] : [`axis=${axes.length === 1 ? String(axes[0]) : pyTuple(axes.map(String))}`];
    return call(t.helper('logsumexp'), [t.args[0], ...axis, ...(keep ? ['keepdims=True'] : [])]);
  }, 'keep'),
  reshape: expr(({ args: [x], attr }) => call('np.reshape', [x, attr('shape').code]), 'keep'),
  concat: expr(({ args, attr }) => call('np.concatenate', [`[${args.map((a) => a.code).join(', ')}]`, `axis=${attr('axis').code}`]), 'keep'),
  stack: expr(({ args, attr }) => call('np.stack', [`[${args.map((a) => a.code).join(', ')}]`, `axis=${attr('axis').code}`]), 'keep'),
  expand_dims: expr(({ args: [x], attr }) => call('np.expand_dims', [x, attr('axis').code]), 'keep'),
  ones_like: np('ones_like'),
  zeros_like: np('zeros_like'),
  softmax: helperCall('softmax', ['axis']),
  log_softmax: helperCall('log_softmax', ['axis']),
  maxout: expr(({ args: [x, W1, b1, W2, b2] }) => call('np.maximum', [`${wrap(x, PREC.MUL)} @ ${wrap(W1, PREC.MUL + 1)} + ${wrap(b1, PREC.ADD + 1)}`, `${wrap(x, PREC.MUL)} @ ${wrap(W2, PREC.MUL + 1)} + ${wrap(b2, PREC.ADD + 1)}`]), 'keep'),
  dropout: expr((t) => {
    const u = t.random();
    if (!u) return { unsupported: 'inside a gate its mask changes at every call; apply dropout outside the gate' };
    return call(t.helper('dropout'), [t.args[0], `p=${t.attr('p').code}`, `u=${u.code}`]);
  }, 'keep'),
  batchnorm: helperCall('batchnorm', ['eps']),
  one_hot: expr(({ args: [y], attr }) => py(`np.eye(${attr('C').code})[${y.code}]`, PREC.POSTFIX), 'keep'),
  pick: helperCall('pick'),
  conv2d: helperCall('conv2d', ['stride', 'pad']),
  max_pool2d: helperCall('max_pool2d', ['size', 'stride']),
  avg_pool2d: helperCall('avg_pool2d', ['size', 'stride']),
  rnn: helperCall('rnn'),
  softmax_ce: helperCall('softmax_ce'),
  svm: helperCall('svm', ['delta']),
  max_margin: expr(({ args: [s, sc], attr }) => call('np.mean', [call('np.maximum', ['0', `${attr('delta').code} - ${wrap(s, PREC.ADD + 1)} + ${wrap(sc, PREC.ADD + 1)}`])]), 'keep'),
  mse: expr(({ args: [p, t] }) => call('np.mean', [`(${wrap(p, PREC.ADD)} - ${wrap(t, PREC.ADD + 1)}) ** 2`]), 'keep'),
  sigmoid_bce: helperCall('sigmoid_bce'),
  l2: expr(({ args: [W] }) => call('np.sum', [`${wrap(W, PREC.POSTFIX)} ** 2`]), 'keep'),
  l1: expr(({ args: [W] }) => call('np.sum', [call('np.abs', [W])]), 'keep'),
  elastic: expr(({ args: [W], attr }) => py(`${attr('beta').code} * np.sum(${wrap(W, PREC.POSTFIX)} ** 2) + np.sum(np.abs(${W.code}))`, PREC.ADD), 'keep'),
  index_grad: expr(({ args: [dout, x], attr, helper }) => call(helper('index_grad'), [dout, x, `at=${listText(attr('at').value)}`]), 'keep'),
  ...NUMPY_LAYER_TEMPLATES,
  ...NUMPY_ATTENTION_TEMPLATES,
};

// ------------------------------------------------------------------ gradient functions

/** The cs231n-style backward helper each op's gradient functions call. */
const BACKWARD_OF: Record<string, string> = {
  conv2d: 'conv2d_backward',
  max_pool2d: 'max_pool2d_backward',
  avg_pool2d: 'avg_pool2d_backward',
  rnn: 'rnn_backward',
  batchnorm: 'batchnorm_backward',
  maxout: 'maxout_backward',
  ...NUMPY_LAYER_BACKWARDS,
  ...NUMPY_ATTENTION_BACKWARDS,
};

const GRADIENTS = gradientFunctions((g) => ({
  needs: [BACKWARD_OF[g.op]],
  code: `def ${g.id}(dout, ${g.signature}):
    """The gradient of ${g.op} with respect to ${g.param}, given the upstream gradient dout."""
    return ${BACKWARD_OF[g.op]}(dout, ${[...g.params, ...g.passAttrs].join(', ')})${g.params.length === 1 ? '' : `[${g.index}]`}
`,
}));

const HELPERS: Record<string, HelperDef> = {
  sigmoid: {
    code: `def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow."""
    return np.exp(-np.logaddexp(0, -x))
`,
  },
  logsumexp: {
    code: `def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))), stably: the max is subtracted first."""
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)
`,
  },
  softmax: {
    code: `def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis, stably: the max is subtracted first."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
`,
  },
  log_softmax: {
    code: `def log_softmax(x, axis=-1):
    """x - logsumexp(x) along axis, stably."""
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
`,
  },
  softmax_ce: {
    needs: ['log_softmax'],
    code: `def softmax_ce(scores, y):
    """Softmax cross-entropy of raw scores [N, C] with labels [N], mean over the batch (cs231n softmax_loss)."""
    scores, y = np.atleast_2d(scores), np.atleast_1d(y)
    return -np.mean(log_softmax(scores, axis=1)[np.arange(len(y)), y])
`,
  },
  svm: {
    code: `def svm(scores, y, delta=1):
    """Multiclass SVM loss as cs231n's svm_loss: sum over wrong classes of max(0, s_j - s_y + delta), mean over the batch."""
    scores, y = np.atleast_2d(scores), np.atleast_1d(y)
    n = len(y)
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + delta)
    margins[np.arange(n), y] = 0
    return np.sum(margins) / n
`,
  },
  sigmoid_bce: {
    code: `def sigmoid_bce(logits, target):
    """Binary cross-entropy on logits, mean over all elements, stably (torch's BCEWithLogitsLoss)."""
    x, t = np.broadcast_arrays(logits, target)
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))))
`,
  },
  pick: {
    code: `def pick(x, y):
    """One entry per row: x[i, y[i]] (x[np.arange(N), y])."""
    return np.take_along_axis(x, np.expand_dims(y, -1), axis=-1)[..., 0]
`,
  },
  dropout: {
    code: `def dropout(x, p, u):
    """Inverted dropout with GradLens' random numbers u (uniform in [0, 1), one per element):
    an element is kept where u >= p and scaled by 1 / (1 - p); p is the probability of dropping."""
    return x * ((u >= p) * (1 / (1 - p)))
`,
  },
  batchnorm: {
    code: `def batchnorm(x, gamma, beta, eps=1e-05):
    """Batch normalisation in training mode: statistics over axis 0, biased variance (cs231n batchnorm_forward)."""
    mu = np.mean(x, axis=0)
    var = np.mean((x - mu) ** 2, axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
`,
  },
  batchnorm_backward: {
    code: `def batchnorm_backward(dout, x, gamma, beta, eps=1e-05):
    """(dx, dgamma, dbeta) of batchnorm (cs231n batchnorm_backward_alt)."""
    mu = np.mean(x, axis=0)
    invstd = 1 / np.sqrt(np.mean((x - mu) ** 2, axis=0) + eps)
    xhat = (x - mu) * invstd
    g = dout * gamma
    dx = invstd * (g - np.mean(g, axis=0) - xhat * np.mean(g * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
`,
  },
  conv2d: {
    code: `def conv2d(x, w, b, stride=1, pad=0):
    """Cross-correlation (as PyTorch's conv2d) of [N, C, H, W] images with [F, C, kh, kw] filters, plus a bias per filter."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    return out + b[None, :, None, None]
`,
  },
  conv2d_backward: {
    code: `def conv2d_backward(dout, x, w, b, stride=1, pad=0):
    """(dx, dw, db) of conv2d: each weight sums over the positions it touched, each pixel over the windows covering it."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            window = (slice(None), slice(None), slice(i, i + stride * Ho, stride), slice(j, j + stride * Wo, stride))
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, xp[window])
            dxp[window] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, np.sum(dout, axis=(0, 2, 3))
`,
  },
  max_pool2d: {
    code: `def max_pool2d(x, size=2, stride=2):
    """Maximum over size x size windows of [N, C, H, W] images, no padding."""
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = np.max(x[:, :, i * stride:i * stride + size, j * stride:j * stride + size], axis=(2, 3))
    return out
`,
  },
  max_pool2d_backward: {
    code: `def max_pool2d_backward(dout, x, size=2, stride=2):
    """dx of max_pool2d: each window's gradient goes to its first maximum in row-major order (as PyTorch)."""
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    n, c = np.indices((N, C))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
            di, dj = np.unravel_index(np.argmax(window, axis=2), (size, size))
            np.add.at(dx, (n, c, i * stride + di, j * stride + dj), dout[:, :, i, j])
    return dx
`,
  },
  avg_pool2d: {
    code: `def avg_pool2d(x, size=2, stride=2):
    """Mean over size x size windows of [N, C, H, W] images, no padding."""
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = np.mean(x[:, :, i * stride:i * stride + size, j * stride:j * stride + size], axis=(2, 3))
    return out
`,
  },
  avg_pool2d_backward: {
    code: `def avg_pool2d_backward(dout, x, size=2, stride=2):
    """dx of avg_pool2d: each window spreads its gradient evenly over its size * size elements."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += dout[:, :, i, j][:, :, None, None] / (size * size)
    return dx
`,
  },
  rnn: {
    code: `def rnn(x, h0, Wx, Wh, b):
    """Vanilla RNN: h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b); every hidden state, [T, N, H]."""
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs)
`,
  },
  rnn_backward: {
    needs: ['rnn'],
    code: `def rnn_backward(dout, x, h0, Wx, Wh, b):
    """(dx, dh0, dWx, dWh, db) of rnn by backpropagation through time."""
    hs = rnn(x, h0, Wx, Wh, b)
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        dz = (dh + dout[t]) * (1 - hs[t] ** 2)
        h_prev = hs[t - 1] if t > 0 else h0
        dx[t] = dz @ Wx.T
        dWx += x[t].T @ dz
        dWh += h_prev.T @ dz
        db += np.sum(dz, axis=0)
        dh = dz @ Wh.T
    return dx, dh, dWx, dWh, db
`,
  },
  maxout_backward: {
    code: `def maxout_backward(dout, x, W1, b1, W2, b2):
    """(dx, dW1, db1, dW2, db2) of maxout: each unit's gradient goes to the winning piece, split evenly on ties."""
    x2, g = np.atleast_2d(x), np.atleast_2d(dout)
    z1, z2 = x2 @ W1 + b1, x2 @ W2 + b2
    g1 = g * ((z1 > z2) + 0.5 * (z1 == z2))
    g2 = g * ((z2 > z1) + 0.5 * (z1 == z2))
    dx = (g1 @ W1.T + g2 @ W2.T).reshape(np.shape(x))
    return dx, x2.T @ g1, np.sum(g1, axis=0), x2.T @ g2, np.sum(g2, axis=0)
`,
  },
  index_grad: {
    code: `def index_grad(dout, x, at):
    """The gradient of x[at]: dout placed at that position of zeros shaped like x."""
    g = np.zeros_like(x)
    g[tuple(at)] = dout
    return g
`,
  },
};

export const NUMPY_OPS: TargetOps = {
  templates: { ...TEMPLATES, ...GRADIENTS.templates },
  helpers: { ...HELPERS, ...NUMPY_LAYER_HELPERS, ...NUMPY_ATTENTION_HELPERS, ...GRADIENTS.helpers },
};
