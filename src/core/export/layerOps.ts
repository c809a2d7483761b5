// Export templates of the newer layers (ops/normalization.ts, embedding.ts, word2vec.ts, lstm.ts), for both targets:
// PyTorch calls its own functional layers (F.layer_norm, F.batch_norm, F.group_norm, F.embedding),
// NumPy gets cs231n-style helpers. Kept apart from torchOps/numpyOps so each layer's two
// translations read together; those tables spread these in.
import { call, py, PREC, wrap } from './pyExpr';
import { expr, helperCall } from './opKit';
import type { HelperDef, OpTemplate } from './templates';

export const TORCH_LAYER_TEMPLATES: Record<string, OpTemplate> = {
  layernorm: helperCall('layernorm', ['eps']),
  batchnorm2d: expr(({ args: [x, g, b], attr }) => call('F.batch_norm', [x, 'None', 'None', g, b, 'training=True', `eps=${attr('eps').code}`])),
  groupnorm: expr(({ args: [x, g, b], attr }) => call('F.group_norm', [x, attr('G').code, g, b, `eps=${attr('eps').code}`])),
  embedding: expr(({ args: [W, idx] }) => call('F.embedding', [idx, W])),
  naive_softmax_loss: helperCall('naive_softmax_loss'),
  neg_sampling_loss: helperCall('neg_sampling_loss'),
  lstm: helperCall('lstm'),
};

/** The forward of each op differentiated through gradient functions, as a torch lambda body. */
export const TORCH_LAYER_BODIES: Record<string, string> = {
  groupnorm: 'F.group_norm(x, G, gamma, beta, eps=eps)',
  lstm: 'lstm(x, h0, c0, Wx, Wh, b)',
};

export const TORCH_LAYER_HELPERS: Record<string, HelperDef> = {
  lstm: {
    code: `def lstm(x, h0, c0, Wx, Wh, b):
    """LSTM with gates i, f, g, o (PyTorch's order) side by side in Wx [D, 4H], Wh [H, 4H], b [4H]; every hidden state, [T, N, H]."""
    h, c, hs = h0, c0, []
    for t in range(x.shape[0]):
        i, f, g, o = (x[t] @ Wx + h @ Wh + b).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs)
`,
  },
  naive_softmax_loss: {
    code: `def naive_softmax_loss(v_c, U, o):
    """cs224n's naive-softmax word2vec loss: -log softmax(U v_c)[o], summed over the outside words o."""
    return -torch.log_softmax(U @ v_c, dim=0)[o].sum()
`,
  },
  neg_sampling_loss: {
    code: `def neg_sampling_loss(v_c, U, o, negatives):
    """cs224n's negative-sampling word2vec loss: -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c)."""
    return -F.logsigmoid(U[o] @ v_c) - F.logsigmoid(-(U[negatives] @ v_c)).sum()
`,
  },
  layernorm: {
    code: `def layernorm(x, gamma, beta, eps=1e-05):
    """Layer normalisation over the last axis (gamma and beta are [D])."""
    return F.layer_norm(x, gamma.shape, gamma, beta, eps=eps)
`,
  },
};

export const NUMPY_LAYER_TEMPLATES: Record<string, OpTemplate> = {
  layernorm: helperCall('layernorm', ['eps']),
  batchnorm2d: helperCall('batchnorm2d', ['eps']),
  groupnorm: helperCall('groupnorm', ['G', 'eps']),
  embedding: expr(({ args: [W, idx] }) => py(`${wrap(W, PREC.POSTFIX)}[${idx.code}]`, PREC.POSTFIX), 'keep'),
  naive_softmax_loss: helperCall('naive_softmax_loss'),
  neg_sampling_loss: helperCall('neg_sampling_loss'),
  lstm: helperCall('lstm'),
};

/** The cs231n-style backward helper of each op differentiated through gradient functions. */
export const NUMPY_LAYER_BACKWARDS: Record<string, string> = {
  groupnorm: 'groupnorm_backward',
  lstm: 'lstm_backward',
};

export const NUMPY_LAYER_HELPERS: Record<string, HelperDef> = {
  lstm: {
    needs: ['sigmoid'],
    code: `def lstm(x, h0, c0, Wx, Wh, b, cache=None):
    """LSTM with gates i, f, g, o (PyTorch's order) side by side in Wx [D, 4H], Wh [H, 4H], b [4H]; every hidden state, [T, N, H]."""
    h, c, hs = h0, c0, []
    for t in range(x.shape[0]):
        i, f, g, o = np.split(x[t] @ Wx + h @ Wh + b, 4, axis=1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c_prev, c = c, f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        if cache is not None:
            cache.append((i, f, g, o, c_prev, c))
    return np.stack(hs)
`,
  },
  lstm_backward: {
    needs: ['lstm'],
    code: `def lstm_backward(dout, x, h0, c0, Wx, Wh, b):
    """(dx, dh0, dc0, dWx, dWh, db) of lstm by backpropagation through time (cs231n lstm_backward)."""
    cache = []
    hs = lstm(x, h0, c0, Wx, Wh, b, cache)
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(x.shape[0])):
        i, f, g, o, c_prev, c = cache[t]
        dh = dh + dout[t]
        tc = np.tanh(c)
        dc = dc + dh * o * (1 - tc ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2), dh * tc * o * (1 - o)], axis=1)
        h_prev = hs[t - 1] if t > 0 else h0
        dx[t] = da @ Wx.T
        dWx += x[t].T @ da
        dWh += h_prev.T @ da
        db += np.sum(da, axis=0)
        dh, dc = da @ Wh.T, dc * f
    return dx, dh, dc, dWx, dWh, db
`,
  },
  naive_softmax_loss: {
    code: `def naive_softmax_loss(v_c, U, o):
    """cs224n's naive-softmax word2vec loss: -log softmax(U v_c)[o], summed over the outside words o."""
    s = U @ v_c
    m = np.max(s)
    log_p = s - m - np.log(np.sum(np.exp(s - m)))
    return -np.sum(log_p[o])
`,
  },
  neg_sampling_loss: {
    code: `def neg_sampling_loss(v_c, U, o, negatives):
    """cs224n's negative-sampling word2vec loss: -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c), stably."""
    return np.logaddexp(0, -(U[o] @ v_c)) + np.sum(np.logaddexp(0, U[negatives] @ v_c))
`,
  },
  layernorm: {
    code: `def layernorm(x, gamma, beta, eps=1e-05):
    """Layer normalisation: each row (the last axis) to zero mean and unit biased variance, then gamma and beta (cs231n layernorm_forward)."""
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta
`,
  },
  batchnorm2d: {
    code: `def batchnorm2d(x, gamma, beta, eps=1e-05):
    """Spatial batch normalisation in training mode: each channel over N, H and W (cs231n spatial_batchnorm_forward)."""
    mu = np.mean(x, axis=(0, 2, 3), keepdims=True)
    var = np.mean((x - mu) ** 2, axis=(0, 2, 3), keepdims=True)
    return gamma[:, None, None] * (x - mu) / np.sqrt(var + eps) + beta[:, None, None]
`,
  },
  groupnorm: {
    code: `def groupnorm(x, gamma, beta, G, eps=1e-05):
    """Group normalisation: each example's G groups of channels over their pixels (cs231n spatial_groupnorm_forward)."""
    xg = x.reshape(x.shape[0], G, -1)
    mu = np.mean(xg, axis=-1, keepdims=True)
    var = np.mean((xg - mu) ** 2, axis=-1, keepdims=True)
    xhat = ((xg - mu) / np.sqrt(var + eps)).reshape(x.shape)
    view = (-1,) + (1,) * (x.ndim - 2)
    return gamma.reshape(view) * xhat + beta.reshape(view)
`,
  },
  groupnorm_backward: {
    code: `def groupnorm_backward(dout, x, gamma, beta, G, eps=1e-05):
    """(dx, dgamma, dbeta) of groupnorm: per group, dx = (gx - mean(gx) - xhat * mean(gx * xhat)) / sigma with gx = dout * gamma."""
    N = x.shape[0]
    xg = x.reshape(N, G, -1)
    mu = np.mean(xg, axis=-1, keepdims=True)
    invstd = 1 / np.sqrt(np.mean((xg - mu) ** 2, axis=-1, keepdims=True) + eps)
    xhat = (xg - mu) * invstd
    view = (-1,) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    gx = (dout * gamma.reshape(view)).reshape(N, G, -1)
    dx = invstd * (gx - np.mean(gx, axis=-1, keepdims=True) - xhat * np.mean(gx * xhat, axis=-1, keepdims=True))
    return dx.reshape(x.shape), np.sum(dout * xhat.reshape(x.shape), axis=axes), np.sum(dout, axis=axes)
`,
  },
};
