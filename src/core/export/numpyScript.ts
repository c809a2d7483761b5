// The NumPy export, in the style of a cs231n assignment: for each gate `<gate>_forward(x, …) ->
// (out, cache)` and, where the file has a backward block, `<gate>_backward(dout, cache) -> (dx, …)`
// with the user's derivation; a numeric gradient check of each hand-written backward at the
// inputs of the gate's first call in GradLens; and the network's forward pass with a numeric check
// of GradLens' gradient of the root for every param and float input. Exit status 0 unless a check fails.
import type { Assign, GateDecl } from '../lang/ast';
import { gradName, type GateInfo } from '../lang/resolve';
import type { ValueType } from '../ops/op';
import { differentiable, firstCall, gates, gradOf, DEFAULT_EMBED_LIMIT, type ExportModel, type ExportOptions, type ExportResult } from './model';
import { NUMPY_OPS } from './numpyOps';
import { PyCode, requiredImports } from './pyCode';
import { call, py, PREC, pyEscape, pyFloat, pyString, type Py } from './pyExpr';
import type { PyNames } from './pyNames';
import { ArrayStore, CommentPlacer, dimBindings, exportedFiles, gateLocalNames, gateScope, inputsBinding, namesIn, RandomNumbers, runExporter, scriptFileNames, sourceLine, tensorTarget, topNames, topScope, writeValues, zeroGradients } from './scriptKit';
import { orderHelpers } from './templates';
import { ExportProblem, Translator, type Scope } from './translate';

const NUMPY = tensorTarget(NUMPY_OPS, 'np.array', 'astype(float)');

const MODULE_NAMES = ['ARRAYS', 'GRADLENS_GRADS', 'GRADLENS_ROOT', 'forward', 'eval_numerical_gradient', 'eval_numerical_gradient_array', 'rel_error', 'crossed_kink', 'check', 'check_gradients', 'sample', 'finite', 'main', 'CHECKED'];

/** Tensors larger than this are checked on a seeded sample of entries, as GradLens does. */
const FULL_CHECK_LIMIT = 1000;
const SAMPLES = 40;

export function exportNumpy(text: string, options: ExportOptions = {}): ExportResult {
  return runExporter('NumPy', text, options, (m) => new NumpyScript(m, options).build());
}

interface GateNames {
  forward: string;
  backward: string | null;
  check: string | null;
}

class NumpyScript {
  private readonly names: PyNames;
  private readonly store: ArrayStore;
  private readonly helpers = new Set<string>();
  private readonly warnings: string[] = [];
  private readonly comments: CommentPlacer;
  private readonly randoms: RandomNumbers;
  private readonly scriptName: string;
  private readonly npzName: string;
  private readonly gateNames = new Map<string, GateNames>();

  constructor(
    private readonly m: ExportModel,
    options: ExportOptions,
  ) {
    this.names = topNames(m, [...MODULE_NAMES, ...Object.keys(NUMPY_OPS.helpers)]);
    this.store = new ArrayStore(options.embedLimit ?? DEFAULT_EMBED_LIMIT);
    this.comments = new CommentPlacer(m);
    this.randoms = new RandomNumbers(m, this.names);
    ({ scriptName: this.scriptName, npzName: this.npzName } = scriptFileNames(m, options, 'numpy'));
    for (const { decl } of gates(m)) {
      this.gateNames.set(decl.name, {
        forward: this.names.fresh(`${decl.name}_forward`),
        backward: decl.backward ? this.names.fresh(`${decl.name}_backward`) : null,
        check: decl.backward ? this.names.fresh(`check_${decl.name}`) : null,
      });
    }
  }

  build(): ExportResult {
    const gateCode = new PyCode();
    for (const { decl, info } of gates(this.m)) this.gate(gateCode, decl, info);
    const network = this.network();
    const checks = this.checks();
    const values = new PyCode();
    const render = {
      literal: (text: string) => `np.array(${text})`,
      npz: (key: string) => `ARRAYS[${pyString(key)}]`,
    };
    writeValues(this.m, values, this.names, this.store, this.comments, render, this.randoms, new Set());

    const out = new PyCode();
    out.raw(this.docstring());
    out.line('import json').line('import math').line('import sys');
    if (this.store.used) out.line('from pathlib import Path');
    requiredImports(out.blank(), ['import numpy as np'], { name: 'NumPy', pip: 'numpy' }).blank(2);
    const header = this.comments.header();
    if (header.length) out.comments(header).blank(2);
    const helperNames = orderHelpers(this.helpers, NUMPY_OPS.helpers);
    if (helperNames.length) {
      out.comments(['# ------------------------------------------------------------------ helpers (what numpy lacks)']).blank();
      for (const h of helperNames) out.raw(NUMPY_OPS.helpers[h].code).blank(2);
    }
    if (this.gateNames.size) {
      out.comments(['# ------------------------------------------------------------------ gates']).blank();
      out.raw(gateCode.toString()).blank(2);
    }
    out.comments(['# ------------------------------------------------------------------ dimensions and values']).blank();
    if (this.store.used) out.line(`ARRAYS = np.load(Path(__file__).with_name(${pyString(this.npzName)}))`, '# the larger tensors, saved beside this script').blank();
    out.raw(values.toString()).blank(2);
    out.comments(['# ------------------------------------------------------------------ the network (forward pass)']).blank();
    out.raw(network.toString()).blank(2);
    out.raw(checks);
    return exportedFiles({ name: this.scriptName, content: out.toString() }, this.npzName, this.store, this.warnings);
  }

  private docstring(): string {
    const m = this.m;
    const dims = [...m.res.dims.values()].map((d) => `${d.name}=${d.size}`).join(', ');
    const withBackward = gates(m).filter((g) => g.decl.backward);
    const example = withBackward[0];
    const gatePart = example
      ? `Each gate is a pair of functions as in a cs231n assignment, e.g.
${this.gateNames.get(example.decl.name)?.forward}(${example.decl.params.map((p) => p.name).join(', ')}) -> (${example.decl.output.name}, cache) and
${this.gateNames.get(example.decl.name)?.backward}(${example.info.doutName}, cache) -> (${example.decl.params.filter((p) => !p.type.isInt).map((p) => gradName(p.name)).join(', ')}),
the backward being the derivation written in the .grad file. Each backward is checked against
central differences of its forward pass (cs231n's eval_numerical_gradient_array) at the
inputs of the gate's first call in GradLens.`
      : 'The file has no hand-written backward blocks: the script checks the gradients only.';
    return `#!/usr/bin/env python3
"""${pyEscape(m.stem)}.grad, exported by GradLens to NumPy.

${gatePart}
forward() is the network with the values GradLens used (seed ${m.res.seed}${dims ? `; ${dims}` : ''}); GradLens'
gradient of \`${m.root.name}\` for every param and float input is checked against central
differences of forward().

    python3 ${pyEscape(this.scriptName)}

Verdicts by the largest relative error |a - n| / max(1e-8, |a| + |n|), cs231n's thresholds:
> 1e-2 fail (probably wrong), 1e-4 ... 1e-2 warn, 1e-7 ... 1e-4 ok for functions with kinks
(relu, max), < 1e-7 pass. Exit status: 0 unless a check fails. The last line of the output is
GRADLENS_JSON followed by the results as JSON.
"""
`;
  }

  // ---------------------------------------------------------------- gates

  private gateCall = (gate: GateInfo, args: Py[], whole: boolean): Py => {
    const f = call(this.gateNames.get(gate.decl.name)?.forward ?? gate.decl.name, args);
    // `h, _ = affine_forward(…)` for a whole right-hand side, `affine_forward(…)[0]` inside an expression.
    return whole ? py(`${f.code}`, PREC.POSTFIX, 'tensor') : py(`${f.code}[0]`, PREC.POSTFIX);
  };

  private gate(code: PyCode, decl: GateDecl, info: GateInfo): void {
    const names = this.gateNames.get(decl.name) as GateNames;
    const local = this.names.child(gateLocalNames(decl, info));
    const scope = gateScope(this.m, info, local, this.gateCall);
    const tr = new Translator(NUMPY, scope);
    const params = decl.params.map((p) => local.get(p.name));
    const header = this.m.comments.code({ start: decl.headerSpan.start, end: decl.headerSpan.start }).replace(/\s*\{\s*$/, '');
    const forwardNames = new Set([...decl.params.map((p) => p.name), ...decl.body.map((a) => a.name)]);
    const bodyDims = new Set(decl.body.flatMap((a) => [...namesIn(a.expr)]).filter((n) => scope.isDim(n)));
    const backward = decl.backward;
    const types = this.m.session.gateTypes.get(decl.name) ?? new Map<string, ValueType>();
    const zeros = zeroGradients(decl, types);
    const used = new Set([...(backward ? backward.body.flatMap((a) => [...namesIn(a.expr)]) : []), ...zeros]);
    const backwardDims = new Set([...used].filter((n) => scope.isDim(n) && !forwardNames.has(n)));
    const bindFrom = inputsBinding(decl, backwardDims);
    const cached = [...forwardNames].filter((n) => used.has(n) || bindFrom.has(n)).map((n) => local.get(n));
    const cacheText = cached.length === 0 ? 'None' : cached.length === 1 ? `(${cached[0]},)` : `(${cached.join(', ')})`;

    code.line(`def ${names.forward}(${params.join(', ')}):`).indent(() => {
      code.line(
        backward
          ? `"""${pyEscape(header)}. Returns (${decl.output.name}, cache): cache holds what ${names.backward} needs."""`
          : `"""${pyEscape(header)}. Returns (${decl.output.name}, None): the .grad file has no backward block for it (GradLens differentiates it automatically)."""`,
      );
      for (const l of dimBindings(decl, bodyDims, local)) code.line(l);
      this.lines(code, decl.body, tr, decl.headerSpan.end, scope);
      code.line(`cache = ${backward ? cacheText : 'None'}`);
      code.line(`return ${local.get(decl.output.name)}, cache`);
    });
    code.blank(2);
    if (!backward || !names.backward) return;
    const floatParams = decl.params.filter((p) => !p.type.isInt);
    code.line(`def ${names.backward}(${local.get(info.doutName)}, cache):`).indent(() => {
      code.line(`"""The hand-written backward of ${decl.name}: (${floatParams.map((p) => gradName(p.name)).join(', ')}) from the upstream gradient ${info.doutName}."""`);
      const above = this.comments.between(decl.body[decl.body.length - 1]?.span.end ?? decl.headerSpan.end, backward.keywordSpan.start);
      if (above.length) code.comments(above);
      if (cached.length) code.line(`${cached.length === 1 ? `(${cached[0]},)` : cached.join(', ')} = cache`);
      for (const l of dimBindings(decl, backwardDims, local, new Set([...forwardNames].filter((n) => cached.includes(local.get(n)))))) code.line(l);
      // `dX = 0` stands for zeros shaped like X.
      const zero = (a: Assign) => [...zeros].find((p) => gradName(p) === a.name);
      this.lines(code, backward.body, tr, backward.keywordSpan.end, scope, (a) => (zero(a) ? `np.zeros_like(${local.get(zero(a) as string)})` : null));
      code.line(`return ${floatParams.map((p) => local.get(gradName(p.name))).join(', ') || '()'}`);
    });
    code.blank(2);
  }

  private lines(code: PyCode, body: Assign[], tr: Translator, after: number, scope: Scope, special?: (a: Assign) => string | null): void {
    let prev = after;
    for (const a of body) {
      const above = this.comments.between(prev, a.span.start);
      if (above.length) code.comments(above);
      scope.infer.infer(a.expr);
      code.line(`${this.assignTarget(scope, a)} = ${special?.(a) ?? tr.value(a.expr).code}`, this.comments.trailing(a.span));
      prev = a.span.end;
    }
    for (const h of tr.helpers) this.helpers.add(h);
  }

  /** `h` — or `h, _` when the right-hand side is a whole gate call (which returns (out, cache)). */
  private assignTarget(scope: Scope, a: Assign): string {
    const name = scope.names.get(a.name);
    if (a.expr.kind !== 'call') return name;
    const g = this.m.res.gates.get(a.expr.callee);
    return g && this.gateNames.has(a.expr.callee) ? `${name}, _` : name;
  }

  // ---------------------------------------------------------------- the network

  private network(): PyCode {
    const m = this.m;
    const code = new PyCode();
    const scope = topScope(m, this.names, (c) => this.randoms.ref(c), this.gateCall);
    const tr = new Translator(NUMPY, scope);
    code.line('def forward():').indent(() => {
      code.line(`"""The network of ${pyEscape(m.stem)}.grad with the values above; returns the backward root \`${m.root.name}\`."""`);
      for (const s of m.program.statements) {
        if (s.kind === 'assign' && m.res.definitions.get(s.name) === s) {
          this.comments.above(code, s);
          scope.where = `${m.fileName} line ${m.comments.line(s.span.start) + 1}`;
          scope.infer.infer(s.expr);
          code.line(`${this.assignTarget(scope, s)} = ${tr.value(s.expr).code}`, this.comments.trailing(s.span));
        } else if (s.kind === 'expect') {
          this.comments.above(code, s);
          code.comments([sourceLine(m, s)]);
        }
      }
      const footer = this.comments.footer();
      if (footer.length) code.comments(footer);
      code.line(`return ${this.names.get(m.root.name)}`);
    });
    for (const h of tr.helpers) this.helpers.add(h);
    return code;
  }

  // ---------------------------------------------------------------- checks

  private checks(): string {
    const m = this.m;
    const code = new PyCode();
    code.comments(['# ------------------------------------------------------------------ gradient checks']).blank();
    code.raw(`def eval_numerical_gradient(f, x, h=1e-5, entries=None):
    """cs231n's numeric gradient of a scalar function f at x: central differences
    (f(x + h) - f(x - h)) / 2h per entry, changing x in place and restoring it.
    entries: the indices to evaluate (default: all)."""
    grad = np.zeros_like(x)
    for ix in entries if entries is not None else np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5, entries=None):
    """cs231n's numeric gradient of a layer f with upstream gradient df: the gradient of sum(f(x) * df)."""
    return eval_numerical_gradient(lambda v: np.sum(f(v) * df), x, h, entries)


def rel_error(a, n):
    """cs231n's relative error of one entry."""
    return abs(a - n) / max(1e-8, abs(a) + abs(n))


def crossed_kink(f, x, ix, analytic, fx, h):
    """A kink (relu, max, a hinge) between x - h and x + h makes the central difference the average
    of two slopes: then the one-sided differences disagree, and a correct gradient is one of them."""
    old = x[ix]
    x[ix] = old + h
    right = (f(x) - fx) / h
    x[ix] = old - h
    left = (fx - f(x)) / h
    x[ix] = old
    return rel_error(left, right) > 1e-2 and min(rel_error(analytic, left), rel_error(analytic, right)) < 1e-3


def check(target, analytic, f, x, df=None, h=1e-5, entries=None):
    """Compares an analytic gradient with central differences of f at x: a gate's layer f with its
    upstream gradient df (eval_numerical_gradient_array), or the scalar root (eval_numerical_gradient).
    Returns the largest relative error and cs231n's verdict. A difference below the round-off of the central difference,
    10 eps |f(x)| / h, is agreement; entries that crossed a kink are counted, not judged."""
    g = f if df is None else (lambda v: np.sum(f(v) * df))
    numeric = eval_numerical_gradient(g, x, h, entries)
    analytic = np.broadcast_to(np.asarray(analytic, dtype=float), np.shape(x))
    fx = float(g(x))
    worst, kinks, checked = 0.0, 0, 0
    for ix in entries if entries is not None else np.ndindex(np.shape(x)):
        checked += 1
        a, n = float(analytic[ix]), float(numeric[ix])
        err = 0.0 if abs(a - n) <= 10 * np.finfo(float).eps * abs(fx) / h else rel_error(a, n)
        if err > 1e-7 and crossed_kink(g, x, ix, a, fx, h):
            kinks += 1
        elif not err <= worst:
            worst = err
    verdict = "fail" if not worst <= 1e-2 else "warn" if worst > 1e-4 else "ok with kinks" if worst > 1e-7 else "pass"
    kind = "gate" if df is not None else "tensor"
    return {"kind": kind, "target": target, "max_rel_error": worst, "verdict": verdict, "checked": checked, "kinks_crossed": kinks}


def sample(x, rng):
    """Every entry of a tensor up to ${FULL_CHECK_LIMIT} entries, else ${SAMPLES} entries drawn at random (as GradLens)."""
    if x.size <= ${FULL_CHECK_LIMIT}:
        return None
    return [np.unravel_index(i, x.shape) for i in rng.choice(x.size, ${SAMPLES}, replace=False)]
`).blank(2);
    const checkNames: string[] = [];
    for (const { decl, info } of gates(m)) {
      const names = this.gateNames.get(decl.name) as GateNames;
      // A gate whose inputs are all integer labels has no gradient to check.
      if (!decl.backward || !names.check || !names.backward || decl.params.every((p) => p.type.isInt)) continue;
      const call0 = firstCall(m, info);
      if (!call0) {
        this.warnings.push(`gate \`${decl.name}\` is never called: its backward is exported but not checked`);
        continue;
      }
      checkNames.push(names.check);
      this.gateCheck(code, decl, info, names, call0.inputNodes);
    }
    this.gradientCheck(code);
    code.raw(`def finite(x):
    """JSON has no NaN or Infinity: those become null."""
    return x if math.isfinite(x) else None


def main():
    value = float(forward())
    print(f"${m.root.name} = {value!r} (GradLens: {GRADLENS_ROOT!r})")
    rows = ${checkNames.length ? `${checkNames.map((c) => `${c}()`).join(' + ')} + ` : ''}check_gradients()
    for r in rows:
        r["label"] = r["target"] if r["kind"] == "gate" else f"d${m.root.name}/d{r['target']}"
    width = max([len(r["label"]) for r in rows] + [len("check")])
    print(f"\\n{'check':<{width}}  max rel error  verdict")
    for r in rows:
        kinks = f" ({r['kinks_crossed']} of {r['checked']} entries crossed a kink)" if r["kinks_crossed"] else ""
        print(f"{r['label']:<{width}}  {r['max_rel_error']:<13.3g}  {r['verdict']}{kinks}")
    failed = [r["label"] for r in rows if r["verdict"] == "fail"]
    if failed:
        print(f"\\n{len(failed)} check{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}")
    for r in rows:
        r["max_rel_error"] = finite(r["max_rel_error"])
    result = {"file": ${pyString(`${m.stem}.grad`)}, "root": ${pyString(m.root.name)}, "value": finite(value), "checks": rows, "failed": failed}
    print("GRADLENS_JSON " + json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
`);
    return code.toString();
  }

  private gateCheck(code: PyCode, decl: GateDecl, info: GateInfo, names: GateNames, inputNodes: number[]): void {
    const m = this.m;
    const local = this.names.child(new Set([...decl.params.map((p) => p.name), info.doutName, ...decl.params.map((p) => gradName(p.name))]), ['rng', 'out', 'cache']);
    const params = decl.params.map((p) => local.get(p.name));
    const floatParams = decl.params.filter((p) => !p.type.isInt);
    const dout = local.get(info.doutName);
    code.line(`def ${names.check}():`).indent(() => {
      code.line(`"""${decl.name}'s backward against central differences, at the inputs of its first call in GradLens."""`);
      decl.params.forEach((p, i) => {
        const v = m.ex.values[inputNodes[i]];
        if (!v) throw new ExportProblem(`gate \`${decl.name}\`: no value for \`${p.name}\` at its first call`);
        const stored = this.store.put(`gate/${decl.name}/${p.name}`, v, p.type.isInt, '    ');
        code.line(`${params[i]} = ${stored.kind === 'literal' ? `np.array(${stored.text})` : `ARRAYS[${pyString(stored.key)}]`}`);
      });
      code.line(`out, cache = ${names.forward}(${params.join(', ')})`);
      code.line('rng = np.random.default_rng(0)');
      code.line(`${dout} = rng.standard_normal(np.shape(out))`, '# a random upstream gradient');
      const grads = floatParams.map((p) => local.get(gradName(p.name)));
      code.line(`${grads.length === 1 ? grads[0] : grads.join(', ')} = ${names.backward}(${dout}, cache)`);
      const v = local.fresh('v');
      code.line('return [').indent(() => {
        for (const p of floatParams) {
          const x = local.get(p.name);
          const args = params.map((q) => (q === x ? v : q)).join(', ');
          code.line(`check(${pyString(`${decl.name}.${gradName(p.name)}`)}, ${local.get(gradName(p.name))}, lambda ${v}: ${names.forward}(${args})[0], ${x}, ${dout}),`);
        }
      });
      code.line(']');
    });
    code.blank(2);
  }

  private gradientCheck(code: PyCode): void {
    const m = this.m;
    const leaves = differentiable(m).filter((d) => gradOf(m, d.name));
    const unused = differentiable(m).filter((d) => !gradOf(m, d.name));
    code.comments([`# GradLens' gradient of \`${m.root.name}\` for every param and float input, to check against numpy's central differences.`]);
    code.line(`GRADLENS_ROOT = ${pyFloat(m.ex.values[m.graph.root as number]?.data[0] ?? NaN)}`);
    if (!leaves.length) code.line('GRADLENS_GRADS = {}');
    else {
      code.line('GRADLENS_GRADS = {');
      code.indent(() => {
        for (const d of leaves) {
          const g = gradOf(m, d.name);
          if (!g) continue;
          const stored = this.store.put(`grad/${d.name}`, g, false, '    ');
          code.line(`${pyString(d.name)}: ${stored.kind === 'literal' ? `np.array(${stored.text})` : `ARRAYS[${pyString(stored.key)}]`},`);
        }
      });
      code.line('}');
    }
    if (unused.length) code.comments([`# No gradient (they do not affect \`${m.root.name}\`): ${unused.map((d) => d.name).join(', ')}.`]);
    // A module-level list: inside check_gradients a loop variable would shadow the user's `x`.
    code.line(`CHECKED = [${leaves.map((d) => `(${pyString(d.name)}, ${this.names.get(d.name)})`).join(', ')}]`, '# (name in the .grad file, the array forward() reads)');
    code.blank(2);
    code.line('def check_gradients():').indent(() => {
      code.line(`"""GradLens' gradient of ${m.root.name} against central differences of forward(), for each param and float input."""`);
      code.line('rng = np.random.default_rng(0)');
      code.line(`return [check(name, GRADLENS_GRADS[name], lambda _: forward(), x, entries=sample(x, rng)) for name, x in CHECKED]`);
    });
    code.blank(2);
  }
}
