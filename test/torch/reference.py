"""PyTorch reference for GradLens graphs.

Reads a graph exported by GradLens (JSON on stdin: leaves with their values, op nodes with
their op id, inputs and attributes), evaluates it with torch in float64, differentiates the
root with torch.autograd, and prints the root value and the gradient of every leaf that
requires one (JSON on stdout). Each GradLens op id maps to the torch expression a PyTorch
user would write, so agreement checks GradLens' forward *and* backward rules.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def axes(a, rank):
    if a is None:
        return None
    if isinstance(a, int):
        a = [a]
    return tuple(x % rank if rank else x for x in a)


def reduce_fn(fn, x, at):
    dims = axes(at.get("axis"), x.dim())
    keep = bool(at.get("keepdims", False))
    if dims is None:
        dims = tuple(range(x.dim()))
        if not dims:
            return x
    return fn(x, dims, keep)


def index(x, items):
    key = []
    for it in items:
        if it["kind"] == "at":
            key.append(it["value"])
        else:
            key.append(slice(it["start"], it["stop"]))
    return x[tuple(key)]


def svm(s, y, delta):
    one_d = s.dim() == 1
    if one_d:
        s, y = s.unsqueeze(0), y.reshape(1)
    y = y.long()
    correct = s.gather(1, y.unsqueeze(1))
    m = torch.clamp(s - correct + delta, min=0)
    m = m.scatter(1, y.unsqueeze(1), 0.0)
    return m.sum(1).mean()


def attention(q, k, v, mask, causal):
    """F.scaled_dot_product_attention is torch 2.0; this is its explicit form (a 0/1 mask, 1 = attend)."""
    s = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    if mask is not None:
        s = s.masked_fill(mask == 0, float("-inf"))
    if causal:
        s = s.masked_fill(~torch.ones(s.shape[-2:], dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def multihead_attention(x, wq, wk, wv, wo, mask, heads, causal):
    """PyTorch's own multi-head attention (sequence first, y = x W^T): blocked where attn_mask is True."""
    batched = x.dim() == 3
    xs = x.transpose(0, 1) if batched else x.unsqueeze(1)
    T, N, D = xs.shape
    block = None
    if causal:
        block = ~torch.ones(T, T, dtype=torch.bool).tril()
    if mask is not None:
        m = mask == 0
        if m.dim() == 3:
            m = m.repeat_interleave(heads, dim=0)
        block = m if block is None else (block | m)
    y, _ = F.multi_head_attention_forward(
        xs, xs, xs, D, heads, torch.cat([wq.T, wk.T, wv.T]), None, None, None, False, 0.0, wo.T, None,
        training=False, need_weights=False, attn_mask=block)
    return y.transpose(0, 1) if batched else y.squeeze(1)


def softmax_ce(s, y):
    if s.dim() == 1:
        return F.cross_entropy(s.unsqueeze(0), y.reshape(1).long())
    return F.cross_entropy(s, y.long())


def batchnorm(x, g, b, eps):
    mu = x.mean(0, keepdim=True)
    var = ((x - mu) ** 2).mean(0, keepdim=True)
    return g * (x - mu) / torch.sqrt(var + eps) + b


def rnn(x, h0, wx, wh, b):
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ wx + h @ wh + b)
        hs.append(h)
    return torch.stack(hs, 0)


def lstm(x, h0, c0, wx, wh, b):
    h, c, hs = h0, c0, []
    for t in range(x.shape[0]):
        i, f, g, o = (x[t] @ wx + h @ wh + b).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs, 0)


def reshape(x, at):
    return x.reshape(at["sizes"])


def dropout(x, at):
    u = torch.tensor(at["random"]).reshape(x.shape)
    p = at["p"]
    return x * (u >= p).double() / (1 - p)


OPS = {
    "identity": lambda a, at: a[0],
    "add": lambda a, at: a[0] + a[1],
    "sub": lambda a, at: a[0] - a[1],
    "mul": lambda a, at: a[0] * a[1],
    "div": lambda a, at: a[0] / a[1],
    "pow": lambda a, at: a[0] ** a[1],
    "neg": lambda a, at: -a[0],
    "matmul": lambda a, at: torch.matmul(a[0], a[1]),
    "T": lambda a, at: a[0].permute(*reversed(range(a[0].dim()))) if a[0].dim() >= 2 else a[0],
    "transpose": lambda a, at: a[0].permute(*(at.get("axes") or list(reversed(range(a[0].dim()))))),
    "index": lambda a, at: index(a[0], at["items"]),
    "gt": lambda a, at: (a[0] > a[1]).double(),
    "lt": lambda a, at: (a[0] < a[1]).double(),
    "ge": lambda a, at: (a[0] >= a[1]).double(),
    "le": lambda a, at: (a[0] <= a[1]).double(),
    "eq": lambda a, at: (a[0] == a[1]).double(),
    "exp": lambda a, at: torch.exp(a[0]),
    "log": lambda a, at: torch.log(a[0]),
    "sqrt": lambda a, at: torch.sqrt(a[0]),
    "abs": lambda a, at: torch.abs(a[0]),
    "square": lambda a, at: a[0] * a[0],
    "tanh": lambda a, at: torch.tanh(a[0]),
    "sigmoid": lambda a, at: torch.sigmoid(a[0]),
    "relu": lambda a, at: torch.relu(a[0]),
    "leaky_relu": lambda a, at: F.leaky_relu(a[0], at["alpha"]),
    "elu": lambda a, at: F.elu(a[0], at["alpha"]),
    "clip": lambda a, at: torch.clamp(a[0], at["lo"], at["hi"]),
    "sign": lambda a, at: torch.sign(a[0]),
    "maximum": lambda a, at: torch.maximum(a[0], a[1]),
    "minimum": lambda a, at: torch.minimum(a[0], a[1]),
    "sum": lambda a, at: reduce_fn(lambda x, d, k: x.sum(d, keepdim=k), a[0], at),
    "mean": lambda a, at: reduce_fn(lambda x, d, k: x.mean(d, keepdim=k), a[0], at),
    "max_reduce": lambda a, at: reduce_fn(lambda x, d, k: torch.amax(x, d, keepdim=k), a[0], at),
    "min_reduce": lambda a, at: reduce_fn(lambda x, d, k: torch.amin(x, d, keepdim=k), a[0], at),
    "logsumexp": lambda a, at: reduce_fn(lambda x, d, k: torch.logsumexp(x, d, keepdim=k), a[0], at),
    "reshape": lambda a, at: reshape(a[0], at),
    "expand_dims": lambda a, at: a[0].unsqueeze(at["axis"]),
    "ones_like": lambda a, at: torch.ones_like(a[0]).detach(),
    "zeros_like": lambda a, at: torch.zeros_like(a[0]).detach(),
    "concat": lambda a, at: torch.cat(a, at["axis"]),
    "stack": lambda a, at: torch.stack(a, at["axis"]),
    "softmax": lambda a, at: F.softmax(a[0], at["axis"]),
    "log_softmax": lambda a, at: F.log_softmax(a[0], at["axis"]),
    "maxout": lambda a, at: torch.maximum(a[0] @ a[1] + a[2], a[0] @ a[3] + a[4]),
    "dropout": lambda a, at: dropout(a[0], at),
    "batchnorm": lambda a, at: batchnorm(a[0], a[1], a[2], at["eps"]),
    "layernorm": lambda a, at: F.layer_norm(a[0], a[1].shape, a[1], a[2], eps=at["eps"]),
    "batchnorm2d": lambda a, at: F.batch_norm(a[0], None, None, a[1], a[2], training=True, eps=at["eps"]),
    "groupnorm": lambda a, at: F.group_norm(a[0], at["G"], a[1], a[2], eps=at["eps"]),
    "embedding": lambda a, at: F.embedding(a[1].long(), a[0]),
    "naive_softmax_loss": lambda a, at: -torch.log_softmax(a[1] @ a[0], dim=0)[a[2].long()].sum(),
    "neg_sampling_loss": lambda a, at: -F.logsigmoid(a[1][a[2].long()] @ a[0]) - F.logsigmoid(-(a[1][a[3].long()] @ a[0])).sum(),
    "one_hot": lambda a, at: F.one_hot(a[0].long(), at["C"]).double(),
    "pick": lambda a, at: a[0].gather(-1, a[1].long().unsqueeze(-1)).squeeze(-1),
    "conv2d": lambda a, at: F.conv2d(a[0], a[1], a[2], stride=at["stride"], padding=at["pad"]),
    "max_pool2d": lambda a, at: F.max_pool2d(a[0], at["size"], at["stride"]),
    "avg_pool2d": lambda a, at: F.avg_pool2d(a[0], at["size"], at["stride"]),
    "rnn": lambda a, at: rnn(*a),
    "lstm": lambda a, at: lstm(*a),
    "gelu": lambda a, at: F.gelu(a[0]),
    "temporal_affine": lambda a, at: a[0] @ a[1] + a[2],
    "temporal_softmax_ce": lambda a, at: (F.cross_entropy(a[0].reshape(-1, a[0].shape[2]), a[1].reshape(-1).long(), reduction="none") * a[2].detach().reshape(-1)).sum() / a[0].shape[0],  # the mask gets no gradient
    "silu": lambda a, at: F.silu(a[0]),
    "attention": lambda a, at: attention(a[0], a[1], a[2], a[3] if len(a) > 3 else None, at["causal"]),
    "multihead_attention": lambda a, at: multihead_attention(*a[:5], a[5] if len(a) > 5 else None, at["heads"], at["causal"]),
    "softmax_ce": lambda a, at: softmax_ce(a[0], a[1]),
    "svm": lambda a, at: svm(a[0], a[1], at["delta"]),
    "max_margin": lambda a, at: torch.clamp(at["delta"] - a[0] + a[1], min=0).mean(),
    "mse": lambda a, at: ((a[0] - a[1]) ** 2).mean(),
    "sigmoid_bce": lambda a, at: F.binary_cross_entropy_with_logits(*torch.broadcast_tensors(a[0], a[1])),
    "l2": lambda a, at: (a[0] * a[0]).sum(),
    "l1": lambda a, at: a[0].abs().sum(),
    "elastic": lambda a, at: at["beta"] * (a[0] * a[0]).sum() + a[0].abs().sum(),
}


def main():
    g = json.load(sys.stdin)
    values = {}
    leaves = {}
    for n in g["nodes"]:
        if n["kind"] == "leaf":
            t = torch.tensor(n["value"], dtype=torch.float64).reshape(n["shape"])
            if n["requiresGrad"]:
                t.requires_grad_(True)
                leaves[n["name"]] = t
            values[n["id"]] = t
        else:
            fn = OPS.get(n["op"])
            if fn is None:
                raise SystemExit("no torch reference for op " + n["op"])
            values[n["id"]] = fn([values[i] for i in n["inputs"]], n["attrs"])
    root = values[g["root"]]
    root.backward()
    out = {
        "root": root.item(),
        "grads": {k: (v.grad.reshape(-1).tolist() if v.grad is not None else None) for k, v in leaves.items()},
        "torch": torch.__version__,
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
