// PyTorch templates: every op id of the op table as the torch expression a PyTorch user would
// write, with the semantics test/torch/reference.py cross-checks against the engine (svm is
// cs231n's sum over wrong classes, l2 = Σ W², dropout's p drops, with the engine's own mask).
import { call, method, py, PREC, pyTuple, wrap } from './pyExpr';
import { expr, fn, gradientFunctions, helperCall, listText, OPERATORS, range, shapeItems } from './opKit';
import type { ExprTemplate, HelperDef, OpTemplate, TargetOps } from './templates';
import { axesAttr } from '../shapes/axes';
import { TORCH_ATTENTION_BODIES, TORCH_ATTENTION_HELPERS, TORCH_ATTENTION_TEMPLATES } from './attentionOps';
import { TORCH_LAYER_BODIES, TORCH_LAYER_HELPERS, TORCH_LAYER_TEMPLATES } from './layerOps';

/**
 * `x.sum()`, `x.sum(dim=0)`, `x.amax(dim=(0, 1), keepdim=True)`; amax, amin and logsumexp need
 * their dims spelled out.
 */
function reduction(name: string, needsDims: boolean): ExprTemplate {
  return expr(({ args: [x], types: [t], attr }) => {
    const rank = t.shape.length;
    const axes = axesAttr(attr('axis').value);
    const keep = attr('keepdims').value === true;
    if (rank === 0 && axes === null) return x; // reducing a scalar leaves it as it is
    if (axes === null && !keep && !needsDims) return method(x, name);
    const dims = axes ?? range(rank);
    const dim = dims.length === 1 ? String(dims[0]) : pyTuple(dims.map(String));
    return method(x, name, [`dim=${dim}`, ...(keep ? ['keepdim=True'] : [])]);
  });
}

const TEMPLATES: Record<string, OpTemplate> = {
  ...OPERATORS,
  T: expr(({ args: [x], types: [t] }) => {
    const rank = t.shape.length;
    if (rank < 2) return x; // .T does nothing to vectors and scalars
    if (rank === 2) return py(`${wrap(x, PREC.POSTFIX)}.T`, PREC.POSTFIX);
    return method(x, 'permute', range(rank).reverse().map(String));
  }, 'keep'),
  transpose: expr(({ args: [x], types: [t], attr }) => {
    const axes = axesAttr(attr('axes').value) ?? range(t.shape.length).reverse();
    return method(x, 'permute', axes.map(String));
  }),
  exp: fn('torch.exp'),
  log: fn('torch.log'),
  sqrt: fn('torch.sqrt'),
  abs: fn('torch.abs'),
  square: fn('torch.square'),
  tanh: fn('torch.tanh'),
  sigmoid: fn('torch.sigmoid'),
  relu: fn('torch.relu'),
  leaky_relu: expr(({ args: [x], attr }) => call('F.leaky_relu', [x, `negative_slope=${attr('alpha').code}`])),
  elu: expr(({ args: [x], attr }) => call('F.elu', [x, `alpha=${attr('alpha').code}`])),
  clip: expr(({ args: [x], attr }) => call('torch.clamp', [x, attr('lo').code, attr('hi').code])),
  sign: fn('torch.sign'),
  maximum: fn('torch.maximum'),
  minimum: fn('torch.minimum'),
  sum: reduction('sum', false),
  mean: reduction('mean', false),
  max_reduce: reduction('amax', true),
  min_reduce: reduction('amin', true),
  logsumexp: reduction('logsumexp', true),
  reshape: expr(({ args: [x], attr }) => method(x, 'reshape', shapeItems(attr('shape').code))),
  concat: expr(({ args, attr }) => call('torch.cat', [`[${args.map((a) => a.code).join(', ')}]`, `dim=${attr('axis').code}`])),
  stack: expr(({ args, attr }) => call('torch.stack', [`[${args.map((a) => a.code).join(', ')}]`, `dim=${attr('axis').code}`])),
  expand_dims: expr(({ args: [x], attr }) => method(x, 'unsqueeze', [attr('axis').code])),
  ones_like: fn('torch.ones_like'),
  zeros_like: fn('torch.zeros_like'),
  softmax: expr(({ args: [x], attr }) => call('torch.softmax', [x, `dim=${attr('axis').code}`])),
  log_softmax: expr(({ args: [x], attr }) => call('torch.log_softmax', [x, `dim=${attr('axis').code}`])),
  maxout: expr(({ args: [x, W1, b1, W2, b2] }) => call('torch.maximum', [`${wrap(x, PREC.MUL)} @ ${wrap(W1, PREC.MUL + 1)} + ${wrap(b1, PREC.ADD + 1)}`, `${wrap(x, PREC.MUL)} @ ${wrap(W2, PREC.MUL + 1)} + ${wrap(b2, PREC.ADD + 1)}`])),
  dropout: expr((t) => {
    const u = t.random();
    if (!u) return { unsupported: "inside a gate its mask changes at every call; apply dropout outside the gate" };
    return call(t.helper('dropout'), [t.args[0], `p=${t.attr('p').code}`, `u=${u.code}`]);
  }),
  batchnorm: helperCall('batchnorm', ['eps']),
  one_hot: expr(({ args: [y], attr }) => method(call('F.one_hot', [y, attr('C').code]), 'double')),
  pick: helperCall('pick'),
  conv2d: expr(({ args, attr }) => call('F.conv2d', [...args, `stride=${attr('stride').code}`, `padding=${attr('pad').code}`])),
  max_pool2d: expr(({ args: [x], attr }) => call('F.max_pool2d', [x, `kernel_size=${attr('size').code}`, `stride=${attr('stride').code}`])),
  avg_pool2d: expr(({ args: [x], attr }) => call('F.avg_pool2d', [x, `kernel_size=${attr('size').code}`, `stride=${attr('stride').code}`])),
  rnn: helperCall('rnn'),
  softmax_ce: expr(({ args: [s, y], types: [ts] }) =>
    ts.shape.length === 1 ? call('F.cross_entropy', [method(s, 'unsqueeze', ['0']), method(y, 'reshape', ['1'])]) : call('F.cross_entropy', [s, y]),
  ),
  svm: helperCall('svm', ['delta']),
  max_margin: expr(({ args: [s, sc], attr }) => method(call('torch.clamp', [`${attr('delta').code} - ${wrap(s, PREC.ADD + 1)} + ${wrap(sc, PREC.ADD + 1)}`, 'min=0']), 'mean')),
  mse: expr(({ args: [p, t] }) => method(py(`(${wrap(p, PREC.ADD)} - ${wrap(t, PREC.ADD + 1)}) ** 2`, PREC.POW), 'mean')),
  sigmoid_bce: expr(({ args: [x, t], types: [tx, tt] }) => {
    const same = tx.shape.length === tt.shape.length && tx.shape.every((d, i) => d.size === tt.shape[i].size);
    return same ? call('F.binary_cross_entropy_with_logits', [x, t]) : call('F.binary_cross_entropy_with_logits', [`*torch.broadcast_tensors(${x.code}, ${t.code})`]);
  }),
  l2: expr(({ args: [W] }) => method(py(`${wrap(W, PREC.POSTFIX)} ** 2`, PREC.POW), 'sum')),
  l1: expr(({ args: [W] }) => method(method(W, 'abs'), 'sum')),
  elastic: expr(({ args: [W], attr }) => py(`${attr('beta').code} * ${method(py(`${wrap(W, PREC.POSTFIX)} ** 2`, PREC.POW), 'sum').code} + ${method(method(W, 'abs'), 'sum').code}`, PREC.ADD)),
  index_grad: expr(({ args: [dout, x], attr, helper }) => call(helper('index_grad'), [dout, x, `at=${listText(attr('at').value)}`])),
  ...TORCH_LAYER_TEMPLATES,
  ...TORCH_ATTENTION_TEMPLATES,
};

// ------------------------------------------------------------------ gradient functions

/** The forward op of each op's gradient functions, as the body of a torch lambda of its tensor params. */
const BODY_OF: Record<string, string> = {
  conv2d: 'F.conv2d(x, w, b, stride=stride, padding=pad)',
  max_pool2d: 'F.max_pool2d(x, kernel_size=size, stride=stride)',
  avg_pool2d: 'F.avg_pool2d(x, kernel_size=size, stride=stride)',
  rnn: 'rnn(x, h0, Wx, Wh, b)',
  batchnorm: 'batchnorm(x, gamma, beta, eps=eps)',
  maxout: 'torch.maximum(x @ W1 + b1, x @ W2 + b2)',
  ...TORCH_LAYER_BODIES,
  ...TORCH_ATTENTION_BODIES,
};

const GRADIENTS = gradientFunctions((g) => ({
  needs: ['vjp', ...(['rnn', 'batchnorm', 'lstm', 'attention', 'multihead_attention'].includes(g.op) ? [g.op] : [])],
  code: `def ${g.id}(dout, ${g.signature}):
    """The gradient of ${g.op} with respect to ${g.param}, given the upstream gradient dout."""
    return vjp(lambda ${g.params.join(', ')}: ${BODY_OF[g.op]}, ${pyTuple(g.params)}, dout, ${g.index})
`,
}));

const HELPERS: Record<string, HelperDef> = {
  dropout: {
    code: `def dropout(x, p, u):
    """Inverted dropout with GradLens' random numbers u (uniform in [0, 1), one per element):
    an element is kept where u >= p and scaled by 1 / (1 - p); p is the probability of dropping."""
    return x * ((u >= p) * (1 / (1 - p)))
`,
  },
  batchnorm: {
    code: `def batchnorm(x, gamma, beta, eps=1e-05):
    """Batch normalisation in training mode: statistics over axis 0, biased variance (cs231n)."""
    mu = x.mean(dim=0)
    var = ((x - mu) ** 2).mean(dim=0)
    return gamma * (x - mu) / torch.sqrt(var + eps) + beta
`,
  },
  pick: {
    code: `def pick(x, y):
    """One entry per row: x[i, y[i]] (numpy: x[np.arange(N), y])."""
    return x.gather(-1, y.unsqueeze(-1)).squeeze(-1)
`,
  },
  rnn: {
    code: `def rnn(x, h0, Wx, Wh, b):
    """Vanilla RNN: h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b); every hidden state, [T, N, H]."""
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ Wx + h @ Wh + b)
        hs.append(h)
    return torch.stack(hs)
`,
  },
  svm: {
    code: `def svm(scores, y, delta=1):
    """Multiclass SVM loss as cs231n's: the sum over wrong classes of max(0, s_j - s_y + delta),
    averaged over the batch (not divided by the number of classes, unlike nn.MultiMarginLoss)."""
    if scores.dim() == 1:
        scores, y = scores.unsqueeze(0), y.reshape(1)
    correct = scores.gather(1, y.unsqueeze(1))
    margins = torch.clamp(scores - correct + delta, min=0).scatter(1, y.unsqueeze(1), 0.0)
    return margins.sum(dim=1).mean()
`,
  },
  index_grad: {
    code: `def index_grad(dout, x, at):
    """The gradient of x[at]: dout placed at that position of zeros shaped like x."""
    g = torch.zeros_like(x)
    g[tuple(at)] = dout
    return g
`,
  },
  vjp: {
    code: `def vjp(f, inputs, dout, k):
    """The gradient of f(*inputs) with respect to inputs[k] for the upstream gradient dout."""
    with torch.enable_grad():
        xs = [t if t is None else t.detach().requires_grad_(i == k) for i, t in enumerate(inputs)]
        return torch.autograd.grad(f(*xs), xs[k], dout)[0]
`,
  },
};

export const TORCH_OPS: TargetOps = {
  templates: { ...TEMPLATES, ...GRADIENTS.templates },
  helpers: { ...HELPERS, ...TORCH_LAYER_HELPERS, ...TORCH_ATTENTION_HELPERS, ...GRADIENTS.helpers },
};
