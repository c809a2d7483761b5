"""The PyTorch side of `npm run bench` (float64, CPU, torch's default threads).

A long-lived process driven by bench/run.ts: one JSON request per line on stdin, one JSON answer
per line on stdout. Each workload is written the way a PyTorch user would write it, on the leaf
values GradLens exported (bench/tmp/<workload>/<name>.npy), so both sides compute the same
function on the same numbers; the answer carries the loss so the runner can check that.

Every float input requires grad, as GradLens computes input gradients too (apples to apples).

Requests:
  {"cmd": "info"}                                   -> versions and threads
  {"cmd": "time", "workload": w, "dir": d, "reps": r, "warmup": k}
                                                    -> {"times_ms": [...], "loss": x, ...}
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def load(d):
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    leaves = {}
    for name, meta in manifest["leaves"].items():
        a = np.load(os.path.join(d, name + ".npy"))
        t = torch.from_numpy(a)
        if meta["int"]:
            t = t.long()
        elif meta["grad"]:
            t.requires_grad_(True)
        leaves[name] = t
    return manifest, leaves


# ---------------------------------------------------------------- the workloads, as PyTorch code


def mlp2(v, reg):
    h1 = torch.relu(v["X"] @ v["W1"] + v["b1"])
    scores = h1 @ v["W2"] + v["b2"]
    return F.cross_entropy(scores, v["y"]) + reg * ((v["W1"] * v["W1"]).sum() + (v["W2"] * v["W2"]).sum())


def convnet(v):
    a1 = torch.relu(F.conv2d(v["x"], v["w1"], v["c1"], stride=1, padding=1))
    p1 = F.max_pool2d(a1, 2, 2)
    a2 = torch.relu(F.conv2d(p1, v["w2"], v["c2"], stride=1, padding=1))
    p2 = F.max_pool2d(a2, 2, 2)
    scores = p2.reshape(p2.shape[0], -1) @ v["W"] + v["b"]
    return F.cross_entropy(scores, v["y"])


def rnn(v):
    # torch's fused RNN (nn.RNN's kernel) is faster here than a Python loop over time steps; it
    # takes transposed weights and two biases, so b_hh is a zero constant.
    x, Wx, Wh = v["x"], v["Wx"], v["Wh"]
    hs, _ = torch._VF.rnn_tanh(x, v["h0"].unsqueeze(0), [Wx.t(), Wh.t(), v["b"], v["zero_b"]], True, 1, 0.0, True, False, False)
    return F.cross_entropy(hs[-1] @ v["Wy"], v["y"])


def rnn_loop(v):
    h = v["h0"]
    for t in range(v["x"].shape[0]):
        h = torch.tanh(v["x"][t] @ v["Wx"] + h @ v["Wh"] + v["b"])
    return F.cross_entropy(h @ v["Wy"], v["y"])


def deep(v, layers):
    h = v["X"]
    for i in range(1, layers + 1):
        h = torch.relu(h @ v["W%d" % i] + v["b%d" % i])
    return F.cross_entropy(h, v["y"])


def build(workload, manifest, v):
    """The loss as a function of the leaves, and the leaves it differentiates."""
    family = manifest["family"]
    grads = [t for t in v.values() if t.requires_grad]
    if family == "mlp2":
        reg = manifest["reg"]
        return (lambda: mlp2(v, reg)), grads
    if family == "convnet":
        return (lambda: convnet(v)), grads
    if family == "rnn":
        v["zero_b"] = torch.zeros_like(v["b"])
        fused, loop = (lambda: rnn(v)), (lambda: rnn_loop(v))
        return (fused if manifest.get("rnn_impl", "fused") == "fused" else loop), grads
    if family == "deep":
        layers = manifest["layers"]
        return (lambda: deep(v, layers)), grads
    raise ValueError("unknown workload family " + family)


def step(f, params):
    for p in params:
        p.grad = None
    loss = f()
    loss.backward()
    return loss


def timed(f, params, reps):
    times = []
    loss = None
    for _ in range(reps):
        t0 = time.perf_counter()
        loss = step(f, params)
        times.append((time.perf_counter() - t0) * 1000)
    return times, float(loss.detach())


CACHE = {}


def prepared(workload, d):
    """The workload's function, built once per request series; for rnn the faster of two forms."""
    key = (workload, d)
    if key not in CACHE:
        manifest, v = load(d)
        impl = None
        if manifest["family"] == "rnn":
            best = None
            for impl_name in ("fused", "loop"):
                manifest["rnn_impl"] = impl_name
                f, params = build(workload, manifest, v)
                for _ in range(3):
                    step(f, params)
                t = sorted(timed(f, params, 9)[0])[4]
                if best is None or t < best[0]:
                    best = (t, impl_name)
            manifest["rnn_impl"] = best[1]
            impl = "fused torch._VF.rnn_tanh (nn.RNN's kernel)" if best[1] == "fused" else "Python loop over time steps"
        f, params = build(workload, manifest, v)
        CACHE[key] = (f, params, impl)
    return CACHE[key]


def time_forward_backward(workload, d, reps, warmup):
    f, params, impl = prepared(workload, d)
    for _ in range(warmup):
        step(f, params)
    times, loss = timed(f, params, reps)
    out = {"times_ms": times, "loss": loss}
    if impl:
        out["impl"] = impl
    return out


def time_gradcheck(workload, d, reps, warmup):
    """torch.autograd.gradcheck of the loss with respect to every param (every entry)."""
    manifest, v = load(d)
    names = [n for n, meta in manifest["leaves"].items() if meta["grad"]]
    reg = manifest["reg"]
    h = manifest["h"]

    def fn(*params):
        w = dict(v)
        w.update(zip(names, params))
        return mlp2(w, reg)

    inputs = tuple(v[n] for n in names)
    ok = None
    for _ in range(warmup):
        ok = torch.autograd.gradcheck(fn, inputs, eps=h, atol=1e-5, rtol=1e-3, raise_exception=False)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        ok = torch.autograd.gradcheck(fn, inputs, eps=h, atol=1e-5, rtol=1e-3, raise_exception=False)
        times.append((time.perf_counter() - t0) * 1000)
    with torch.no_grad():
        loss = float(fn(*inputs))
    return {"times_ms": times, "loss": loss, "passed": bool(ok), "entries": sum(t.numel() for t in inputs)}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if req["cmd"] == "info":
                out = {"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0]}
            elif req["cmd"] == "time":
                run = time_gradcheck if req["workload"].startswith("gradcheck") else time_forward_backward
                out = run(req["workload"], req["dir"], int(req["reps"]), int(req.get("warmup", 2)))
                out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            else:
                out = {"error": "unknown command " + str(req["cmd"])}
        except Exception as e:  # report, keep serving
            out = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
