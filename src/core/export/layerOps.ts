// Export templates of the newer layers (ops/normalization.ts, embedding.ts, word2vec.ts), for both targets:
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
};

/** The forward of each op differentiated through gradient functions, as a torch lambda body. */
export const TORCH_LAYER_BODIES: Record<string, string> = {
  groupnorm: 'F.group_norm(x, G, gamma, beta, eps=eps)',
};

export const TORCH_LAYER_HELPERS: Record<string, HelperDef> = {
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
};

/** The cs231n-style backward helper of each op differentiated through gradient functions. */
export const NUMPY_LAYER_BACKWARDS: Record<string, string> = {
  groupnorm: 'groupnorm_backward',
};

export const NUMPY_LAYER_HELPERS: Record<string, HelperDef> = {
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
