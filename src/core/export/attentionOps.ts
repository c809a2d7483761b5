// Export templates of gelu, silu, the attention ops and the temporal layers (ops/elementwise.ts,
// ops/attention.ts, ops/temporal.ts), for both targets. PyTorch calls F.gelu / F.silu and an explicit attention helper (softmax over the
// keys, a 0/1 mask where 0 is −inf); NumPy gets cs231n-style forward and backward helpers. The
// torch-crosscheck test compares GradLens with F.multi_head_attention_forward independently.
import { call, py, PREC, wrap } from './pyExpr';
import { expr, helperCall } from './opKit';
import type { HelperDef, OpTemplate } from './templates';

const TEMPORAL: Record<string, OpTemplate> = {
  temporal_affine: expr(({ args: [x, w, b] }) => py(`${wrap(x, PREC.MUL)} @ ${wrap(w, PREC.MUL + 1)} + ${wrap(b, PREC.ADD + 1)}`, PREC.ADD), 'keep'),
};

export const TORCH_ATTENTION_TEMPLATES: Record<string, OpTemplate> = {
  gelu: expr(({ args: [x] }) => call('F.gelu', [x])),
  silu: expr(({ args: [x] }) => call('F.silu', [x])),
  attention: helperCall('attention', ['causal']),
  multihead_attention: helperCall('multihead_attention', ['heads', 'causal']),
  ...TEMPORAL,
  temporal_softmax_ce: helperCall('temporal_softmax_ce'),
};

/** The forward of each op differentiated through gradient functions, as a torch lambda body. */
export const TORCH_ATTENTION_BODIES: Record<string, string> = {
  gelu: 'F.gelu(x)',
  attention: 'attention(q, k, v, mask, causal=causal)',
  multihead_attention: 'multihead_attention(x, Wq, Wk, Wv, Wo, mask, heads=heads, causal=causal)',
};

export const TORCH_ATTENTION_HELPERS: Record<string, HelperDef> = {
  temporal_softmax_ce: {
    code: `def temporal_softmax_ce(x, y, mask):
    """cs231n's temporal_softmax_loss: cross-entropy at every kept step (mask 1), summed, averaged over the N sequences."""
    N, T, V = x.shape
    steps = F.cross_entropy(x.reshape(N * T, V), y.reshape(-1).long(), reduction='none')
    return (steps * mask.detach().reshape(-1)).sum() / N  # the mask gets no gradient
`,
  },
  attention: {
    code: `def attention(q, k, v, mask=None, causal=False):
    """softmax(q k^T / sqrt(d)) v over the keys; mask (0/1): 0 where a query may not attend; causal: key j <= query i."""
    s = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    if mask is not None:
        s = s.masked_fill(mask == 0, float('-inf'))
    if causal:
        s = s.masked_fill(~torch.ones(s.shape[-2:], dtype=torch.bool).tril(), float('-inf'))
    return torch.softmax(s, dim=-1) @ v
`,
  },
  multihead_attention: {
    needs: ['attention'],
    code: `def multihead_attention(x, Wq, Wk, Wv, Wo, mask=None, *, heads, causal=False):
    """Self-attention with the projections split into heads of D/heads features, the heads side by side times Wo."""
    *lead, T, D = x.shape
    def split(p):
        return p.reshape(*lead, T, heads, D // heads).transpose(-3, -2)
    o = attention(split(x @ Wq), split(x @ Wk), split(x @ Wv), None if mask is None else mask.unsqueeze(-3), causal)
    return o.transpose(-3, -2).reshape(x.shape) @ Wo
`,
  },
};

export const NUMPY_ATTENTION_TEMPLATES: Record<string, OpTemplate> = {
  gelu: helperCall('gelu'),
  silu: helperCall('silu'),
  attention: helperCall('attention', ['causal']),
  multihead_attention: helperCall('multihead_attention', ['heads', 'causal']),
  ...TEMPORAL,
  temporal_softmax_ce: helperCall('temporal_softmax_ce'),
};

/** The cs231n-style backward helper of each op differentiated through gradient functions. */
export const NUMPY_ATTENTION_BACKWARDS: Record<string, string> = {
  gelu: 'gelu_backward',
  attention: 'attention_backward',
  multihead_attention: 'multihead_attention_backward',
};

export const NUMPY_ATTENTION_HELPERS: Record<string, HelperDef> = {
  temporal_softmax_ce: {
    code: `def temporal_softmax_ce(x, y, mask):
    """cs231n's temporal_softmax_loss: cross-entropy at every kept step (mask 1), summed, averaged over the N sequences."""
    N, T, V = x.shape
    xf = x.reshape(N * T, V)
    m = np.max(xf, axis=1, keepdims=True)
    log_p = xf - m - np.log(np.sum(np.exp(xf - m), axis=1, keepdims=True))
    return -np.sum(mask.reshape(-1) * log_p[np.arange(N * T), y.reshape(-1)]) / N
`,
  },
  normal_cdf: {
    code: `def normal_cdf(x):
    """The standard normal CDF (1 + erf(x / sqrt(2))) / 2, entrywise through math.erf (NumPy has no erf)."""
    import math
    return 0.5 * (1 + np.vectorize(math.erf, otypes=[float])(np.asarray(x, dtype=float) / math.sqrt(2)))
`,
  },
  gelu: {
    needs: ['normal_cdf'],
    code: `def gelu(x):
    """The exact GELU, x * Phi(x) (PyTorch's default, not the tanh approximation)."""
    return x * normal_cdf(x)
`,
  },
  gelu_backward: {
    needs: ['normal_cdf'],
    code: `def gelu_backward(dout, x):
    """dx of gelu: dout * (Phi(x) + x * phi(x))."""
    return dout * (normal_cdf(x) + x * np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi))
`,
  },
  silu: {
    needs: ['sigmoid'],
    code: `def silu(x):
    """SiLU (swish): x * sigmoid(x)."""
    return x * sigmoid(x)
`,
  },
  attention_weights: {
    code: `def attention_weights(q, k, mask=None, causal=False):
    """softmax(q k^T / sqrt(d)) over the keys, max-subtracted; masked scores (mask 0, or key j > query i when causal) are -inf."""
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask == 0, -np.inf, s)
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], dtype=bool)), s, -np.inf)
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
`,
  },
  attention: {
    needs: ['attention_weights'],
    code: `def attention(q, k, v, mask=None, causal=False):
    """Scaled dot-product attention: softmax(q k^T / sqrt(d)) v."""
    return attention_weights(q, k, mask, causal) @ v
`,
  },
  attention_backward: {
    needs: ['attention_weights'],
    code: `def attention_backward(dout, q, k, v, mask=None, causal=False):
    """(dq, dk, dv) of attention: the softmax's backward along each query's keys, then the 1/sqrt(d)."""
    p = attention_weights(q, k, mask, causal)
    dp = dout @ np.swapaxes(v, -1, -2)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True)) / np.sqrt(q.shape[-1])
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, np.swapaxes(p, -1, -2) @ dout
`,
  },
  multihead_attention: {
    needs: ['attention'],
    code: `def multihead_attention(x, Wq, Wk, Wv, Wo, mask=None, *, heads, causal=False):
    """Self-attention with the projections split into heads of D/heads features, the heads side by side times Wo."""
    T, D = x.shape[-2:]
    def split(p):
        return np.swapaxes(p.reshape(x.shape[:-2] + (T, heads, D // heads)), -3, -2)
    o = attention(split(x @ Wq), split(x @ Wk), split(x @ Wv), None if mask is None else np.expand_dims(mask, -3), causal)
    return np.swapaxes(o, -3, -2).reshape(x.shape) @ Wo
`,
  },
  multihead_attention_backward: {
    needs: ['attention', 'attention_backward'],
    code: `def multihead_attention_backward(dout, x, Wq, Wk, Wv, Wo, mask=None, *, heads, causal=False):
    """(dx, dWq, dWk, dWv, dWo) of multihead_attention; x is used three times, so its three gradients add."""
    T, D = x.shape[-2:]
    def split(p):
        return np.swapaxes(p.reshape(x.shape[:-2] + (T, heads, D // heads)), -3, -2)
    def merge(o):
        return np.swapaxes(o, -3, -2).reshape(x.shape)
    m = None if mask is None else np.expand_dims(mask, -3)
    Q, K, V = split(x @ Wq), split(x @ Wk), split(x @ Wv)
    M = merge(attention(Q, K, V, m, causal))
    dQ, dK, dV = (merge(g) for g in attention_backward(split(dout @ Wo.T), Q, K, V, m, causal))
    xf = x.reshape(-1, D)
    return (dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T, xf.T @ dQ.reshape(-1, D), xf.T @ dK.reshape(-1, D), xf.T @ dV.reshape(-1, D),
            M.reshape(-1, D).T @ dout.reshape(-1, D))
`,
  },
};
