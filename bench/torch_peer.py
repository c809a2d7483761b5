"""The peers of `npm run bench`: PyTorch (float64, CPU) and NumPy (hand-written backward).

A long-lived process driven by bench/run.ts: one JSON request per line on stdin, one JSON answer
per line on stdout. Each workload is written the way a PyTorch user would write it, on the leaf
values GradLens exported (bench/tmp/<workload>/<name>.npy), so both sides compute the same
function on the same numbers; the answer carries the loss so the runner can check that.

Every float input requires grad, as GradLens computes input gradients too (apples to apples).

The peer must run at its best and say what it runs on: `info` reports the BLAS library the
process really loaded (/proc/self/maps: torch's own config says BLAS_INFO=generic on Debian, which
names nothing), OpenBLAS' kernel (openblas_get_corename) and config, torch's config and threads,
and the CPU's flags; bench/run.ts refuses to call a peer on the reference BLAS "torch". The kernel
is chosen by the runner through OPENBLAS_CORETYPE in this process' environment (`--probe` times a
GEMM under each candidate), the threads per request (torch's and OpenBLAS' pools both).

Requests:
  {"cmd": "info"}                                   -> versions, threads, BLAS, kernel, CPU
  {"cmd": "time", "workload": w, "dir": d, "reps": r, "warmup": k, "threads": n, "impl": "torch"|"numpy"}
                                                    -> {"times_ms": [...], "loss": x, ...}
`python3 torch_peer.py --probe` prints one JSON line: the BLAS facts and a 512² float64 GEMM's GFLOP/s.
"""
import ctypes
import json
import os
import re
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------- what the peer runs on


def loaded_libraries():
    """Paths of the shared libraries mapped into this process."""
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and ".so" in parts[-1] and parts[-1] not in libs:
                    libs.append(parts[-1])
    except OSError:
        pass
    return libs


def blas_libraries():
    return [l for l in loaded_libraries() if any(k in os.path.basename(l).lower() for k in ("blas", "mkl", "blis", "lapack", "accelerate"))]


def openblas_handle():
    for l in blas_libraries():
        if "openblas" in os.path.basename(l).lower():
            try:
                return ctypes.CDLL(l)
            except OSError:
                return None
    return None


def blas_kind(libs):
    """'openblas', 'mkl', 'blis' or 'reference' (netlib's libblas, e.g. Debian's libblas3)."""
    names = " ".join(os.path.basename(l).lower() for l in libs)
    if "openblas" in names:
        return "openblas"
    if "mkl" in names:
        return "mkl"
    if "blis" in names:
        return "blis"
    return "reference"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return line.split(":", 1)[1].split()
    except OSError:
        pass
    return []


def set_threads(n):
    torch.set_num_threads(n)
    ob = openblas_handle()
    if ob is not None:
        try:
            ob.openblas_set_num_threads(ctypes.c_int(n))
        except AttributeError:
            pass


def blas_info():
    # numpy's matmul loads the BLAS numpy links (torch may have loaded it already).
    np.ones((2, 2)) @ np.ones((2, 2))
    (torch.ones(2, 2) @ torch.ones(2, 2)).sum()
    libs = blas_libraries()
    info = {"blas": blas_kind(libs), "blas_libraries": libs, "coretype_env": os.environ.get("OPENBLAS_CORETYPE")}
    ob = openblas_handle()
    if ob is not None:
        for fn, key in (("openblas_get_corename", "corename"), ("openblas_get_config", "openblas_config")):
            try:
                f = getattr(ob, fn)
                f.restype = ctypes.c_char_p
                info[key] = f().decode()
            except AttributeError:
                pass
        try:
            info["openblas_threads"] = ob.openblas_get_num_threads()
        except AttributeError:
            pass
    try:
        from threadpoolctl import threadpool_info  # optional: only if installed

        info["threadpoolctl"] = threadpool_info()
    except ImportError:
        pass
    flags = set(cpu_flags())
    info["cpu_flags"] = [f for f in ("avx512f", "avx512dq", "avx512vl", "avx2", "fma", "avx", "sse4_2") if f in flags]
    cfg = torch.__config__.show()
    info["torch_blas_info"] = next((p.strip() for p in cfg.replace(",", "\n").split("\n") if "BLAS_INFO" in p), None)
    info["torch_cpu_capability"] = next((l.split(":", 1)[1].strip() for l in cfg.split("\n") if "CPU capability" in l), None)
    return info


def gemm_gflops(n=512, reps=5):
    """Best of `reps` n×n float64 GEMMs through numpy (the BLAS both peers use)."""
    a = np.random.default_rng(0).standard_normal((n, n))
    a @ a
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


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


def transformer(v, heads):
    x = v["x"]
    N, T, D = x.shape
    h = F.layer_norm(x, (D,), v["g1"], v["b1"]).transpose(0, 1)
    blocked = ~torch.ones(T, T, dtype=torch.bool).tril()
    att, _ = F.multi_head_attention_forward(
        h, h, h, D, heads, torch.cat([v["Wq"].t(), v["Wk"].t(), v["Wv"].t()]), None, None, None, False, 0.0, v["Wo"].t(), None,
        training=False, need_weights=False, attn_mask=blocked)
    a = x + att.transpose(0, 1)
    y = a + F.gelu(F.layer_norm(a, (D,), v["g2"], v["b2"]) @ v["W1"] + v["c1"]) @ v["W2"] + v["c2"]
    return F.mse_loss(y, v["target"])


def deep(v, layers):
    h = v["X"]
    for i in range(1, layers + 1):
        h = torch.relu(h @ v["W%d" % i] + v["b%d" % i])
    return F.cross_entropy(h, v["y"])


# ---------------------------------------------------------------- NumPy, as students write it
# cs231n-style: each layer's forward keeps a cache, its backward returns the gradients. Every float
# input gets its gradient too (as on the torch side).


def softmax_loss_np(s, y):
    shifted = s - s.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = s.shape[0]
    loss = -logp[np.arange(n), y].mean()
    ds = np.exp(logp)
    ds[np.arange(n), y] -= 1
    return loss, ds / n


def mlp2_np(v, reg):
    X, y, W1, b1, W2, b2 = v["X"], v["y"], v["W1"], v["b1"], v["W2"], v["b2"]
    a = X @ W1 + b1
    h1 = np.maximum(a, 0)
    s = h1 @ W2 + b2
    loss, ds = softmax_loss_np(s, y)
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    g = {"W2": h1.T @ ds + 2 * reg * W2, "b2": ds.sum(axis=0)}
    da = (ds @ W2.T) * (a > 0)
    g["W1"] = X.T @ da + 2 * reg * W1
    g["b1"] = da.sum(axis=0)
    g["X"] = da @ W1.T
    return loss, g


def deep_np(v, layers):
    h = v["X"]
    cache = []
    for i in range(1, layers + 1):
        a = h @ v["W%d" % i] + v["b%d" % i]
        cache.append((h, a))
        h = np.maximum(a, 0)
    loss, dh = softmax_loss_np(h, v["y"])
    g = {}
    for i in range(layers, 0, -1):
        hin, a = cache[i - 1]
        da = dh * (a > 0)
        g["W%d" % i] = hin.T @ da
        g["b%d" % i] = da.sum(axis=0)
        dh = da @ v["W%d" % i].T
    g["X"] = dh
    return loss, g


def build_np(manifest, v):
    family = manifest["family"]
    w = {k: (t.detach().numpy() if t.dtype == torch.float64 else t.numpy()) for k, t in v.items()}
    if family == "mlp2":
        reg = manifest["reg"]
        return lambda: mlp2_np(w, reg)
    if family == "deep":
        layers = manifest["layers"]
        return lambda: deep_np(w, layers)
    raise ValueError("no NumPy version of workload family " + family)


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
    if family == "transformer":
        heads = manifest["heads"]
        return (lambda: transformer(v, heads)), grads
    raise ValueError("unknown workload family " + family)


def step(f, params):
    for p in params:
        p.grad = None
    loss = f()
    loss.backward()
    return loss


def timed(f, params, reps, cpu=None):
    times = []
    loss = None
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = step(f, params)
        times.append((time.perf_counter() - t0) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c0) * 1000)
    return times, float(loss.detach())


def exported(path):
    """An example's script as `gradlens export --torch` wrote it (bench/examples.ts): its leaves and
    gates are defined once, then each step runs its network section and differentiates the root, as
    the script does once. Its own checks (the part after the network) are not run."""
    with open(path) as f:
        src = f.read()
    net = re.search(r"^# -+ the network$", src, re.M)
    checks = re.search(r"^# -+ backward pass and checks$", src, re.M)
    root = re.search(r"^ROOT = (\w+)$", src[checks.end():], re.M).group(1)
    g = {"__name__": "gradlens_export", "__file__": path}
    exec(compile(src[: net.start()], path, "exec"), g)
    leaves = [t for t in g.values() if isinstance(t, torch.Tensor) and t.is_leaf and t.requires_grad]
    code = compile(src[net.end() : checks.start()], path, "exec")

    def f():
        exec(code, g)
        return g[root]

    return f, leaves


CACHE = {}


def prepared(workload, d):
    """The workload's function, built once per request series; for rnn the faster of two forms."""
    key = (workload, d)
    if key not in CACHE:
        manifest, v = load(d)
        impl = None
        if manifest["family"] == "exported":
            f, params = exported(os.path.join(d, manifest["script"]))
            CACHE[key] = (f, params, None)
            return CACHE[key]
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


def time_numpy(workload, d, reps, warmup):
    key = ("numpy", workload, d)
    if key not in CACHE:
        manifest, v = load(d)
        CACHE[key] = build_np(manifest, v)
    f = CACHE[key]
    for _ in range(warmup):
        f()
    times = []
    cpu = []
    loss = None
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss, _ = f()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"times_ms": times, "cpu_ms": cpu, "loss": float(loss)}


def time_forward_backward(workload, d, reps, warmup):
    f, params, impl = prepared(workload, d)
    for _ in range(warmup):
        step(f, params)
    cpu = []
    times, loss = timed(f, params, reps, cpu)
    out = {"times_ms": times, "cpu_ms": cpu, "loss": loss}
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
    # fast_mode: torch compares vᵀJu for random u, v instead of the whole Jacobian (gradcheck-fast).
    fast = bool(manifest.get("fast_mode", 0))
    ok = None
    for _ in range(warmup):
        ok = torch.autograd.gradcheck(fn, inputs, eps=h, atol=1e-5, rtol=1e-3, raise_exception=False, fast_mode=fast)
    times = []
    cpu = []
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        ok = torch.autograd.gradcheck(fn, inputs, eps=h, atol=1e-5, rtol=1e-3, raise_exception=False, fast_mode=fast)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    with torch.no_grad():
        loss = float(fn(*inputs))
    return {"times_ms": times, "cpu_ms": cpu, "loss": loss, "passed": bool(ok), "entries": sum(t.numel() for t in inputs)}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if req["cmd"] == "info":
                out = {"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(), "cores": os.cpu_count(), "python": sys.version.split()[0]}
                out.update(blas_info())
            elif req["cmd"] == "time":
                set_threads(int(req.get("threads", torch.get_num_threads())))
                if req.get("impl") == "numpy":
                    run = time_numpy
                else:
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
    if sys.argv[1:] == ["--probe"]:
        out = blas_info()
        out["gflops_1"] = (set_threads(1), gemm_gflops())[1]
        out["gflops_all"] = (set_threads(os.cpu_count() or 1), gemm_gflops())[1]
        print(json.dumps(out))
    else:
        main()
