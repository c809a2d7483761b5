// The PyTorch export: a runnable script that rebuilds the network in float64 with the values
// GradLens used, turns each gate with a hand-written backward into a torch.autograd.Function whose
// backward is the user's derivation line by line, runs forward and backward, prints the gradients
// (and one GRADLENS_JSON line), and gradchecks every hand-written backward at the inputs of the
// gate's first call. Exit status 0 when every check passes.
import type { Assign, GateDecl } from '../lang/ast';
import { gradName, type GateInfo } from '../lang/resolve';
import type { ValueType } from '../ops/op';
import { differentiable, gates, DEFAULT_EMBED_LIMIT, type ExportModel, type ExportOptions, type ExportResult } from './model';
import { PyCode, requiredImports } from './pyCode';
import { call, pyEscape, pyString, type Py } from './pyExpr';
import type { PyNames } from './pyNames';
import { ArrayStore, className, CommentPlacer, dimBindings, exportedFiles, gateLocalNames, gateScope, inputsBinding, namesIn, RandomNumbers, runExporter, scriptFileNames, sourceLine, tensorTarget, topNames, topScope, writeValues, zeroGradients } from './scriptKit';
import { orderHelpers } from './templates';
import { TORCH_OPS } from './torchOps';
import { Translator, type Scope } from './translate';

const TORCH = tensorTarget(TORCH_OPS, 'torch.tensor', 'double()');

/** Names the script defines at module level besides the user's. */
const MODULE_NAMES = ['ARRAYS', 'ROOT', 'LEAVES', 'GATES', 'gradcheck_gate', 'finite', 'main'];

export function exportTorch(text: string, options: ExportOptions = {}): ExportResult {
  return runExporter('PyTorch', text, options, (m) => new TorchScript(m, options).build());
}

class TorchScript {
  private readonly names: PyNames;
  private readonly store: ArrayStore;
  private readonly helpers = new Set<string>();
  private readonly warnings: string[] = [];
  private readonly comments: CommentPlacer;
  private readonly scriptName: string;
  private readonly npzName: string;
  /** Gate name → its autograd.Function class (gates with a backward block). */
  private readonly classes = new Map<string, string>();
  private readonly randoms: RandomNumbers;

  constructor(
    private readonly m: ExportModel,
    options: ExportOptions,
  ) {
    this.names = topNames(m, [...MODULE_NAMES, ...Object.keys(TORCH_OPS.helpers)]);
    this.store = new ArrayStore(options.embedLimit ?? DEFAULT_EMBED_LIMIT);
    this.comments = new CommentPlacer(m);
    this.randoms = new RandomNumbers(m, this.names);
    ({ scriptName: this.scriptName, npzName: this.npzName } = scriptFileNames(m, options, 'torch'));
    for (const { decl } of gates(m)) {
      this.names.get(decl.name);
      if (decl.backward) this.classes.set(decl.name, this.names.fresh(className(decl.name)));
    }
  }

  build(): ExportResult {
    const gateCode = new PyCode();
    for (const { decl, info } of gates(this.m)) this.gate(gateCode, decl, info);
    const network = this.network();
    const values = this.values();

    const out = new PyCode();
    out.raw(this.docstring());
    out.line('import json').line('import math').line('import sys');
    if (this.store.used) out.line('from pathlib import Path');
    out.blank();
    if (this.store.used) requiredImports(out, ['import numpy as np'], { name: 'NumPy', pip: 'numpy' });
    requiredImports(out, ['import torch', 'import torch.nn.functional as F'], { name: 'PyTorch', pip: 'torch' }).blank();
    out.line('torch.set_default_dtype(torch.float64)  # GradLens computes in float64').blank(2);
    const header = this.comments.header();
    if (header.length) out.comments(header).blank(2);
    const helperNames = orderHelpers(this.helpers, TORCH_OPS.helpers);
    if (helperNames.length) {
      out.comments(['# ------------------------------------------------------------------ helpers']).blank();
      for (const h of helperNames) out.raw(TORCH_OPS.helpers[h].code).blank(2);
    }
    out.comments(['# ------------------------------------------------------------------ dimensions and values']).blank();
    if (this.store.used) {
      out.line(`ARRAYS = np.load(Path(__file__).with_name(${pyString(this.npzName)}))`, '# the larger tensors, saved beside this script').blank();
    }
    out.raw(values.toString()).blank(2);
    if (gates(this.m).length) {
      out.comments(['# ------------------------------------------------------------------ gates']).blank();
      out.raw(gateCode.toString()).blank(2);
    }
    out.comments(['# ------------------------------------------------------------------ the network']).blank();
    out.raw(network.toString()).blank(2);
    out.raw(this.driver());
    return exportedFiles({ name: this.scriptName, content: out.toString() }, this.npzName, this.store, this.warnings);
  }

  private docstring(): string {
    const m = this.m;
    const dims = [...m.res.dims.values()].map((d) => `${d.name}=${d.size}`).join(', ');
    const hasBackward = this.classes.size > 0;
    return `#!/usr/bin/env python3
"""${pyEscape(m.stem)}.grad, exported by GradLens to PyTorch.

Rebuilds the network in float64 with the values GradLens used (seed ${m.res.seed}${dims ? `; ${dims}` : ''}),
runs the forward and backward pass with torch.autograd and prints every gradient.
${
  hasBackward
    ? `Each gate with a hand-written backward block is a torch.autograd.Function whose backward is
that derivation; torch.autograd.gradcheck checks it at the inputs of the gate's first call.`
    : 'The file has no hand-written backward blocks, so there is nothing to gradcheck.'
}

    python3 ${pyEscape(this.scriptName)}

Exit status: 0 when every check passes, 1 when one fails. The last line of the output is
GRADLENS_JSON followed by the results as JSON (the root value, every gradient, the checks).
"""
`;
  }

  // ---------------------------------------------------------------- values

  private values(): PyCode {
    const code = new PyCode();
    const render = {
      literal: (text: string, grad: boolean) => `torch.tensor(${text}${grad ? ', requires_grad=True' : ''})`,
      npz: (key: string, grad: boolean) => `torch.from_numpy(ARRAYS[${pyString(key)}])${grad ? '.requires_grad_()' : ''}`,
    };
    writeValues(this.m, code, this.names, this.store, this.comments, render, this.randoms, new Set(differentiable(this.m).map((d) => d.name)));
    return code;
  }

  // ---------------------------------------------------------------- gates

  private gateCall = (gate: GateInfo, args: Py[]): Py => call(this.names.get(gate.decl.name), args.map((a) => TORCH.asTensor(a)));

  private gate(code: PyCode, decl: GateDecl, info: GateInfo): void {
    const local = this.names.child(gateLocalNames(decl, info), [...this.classes.values()]);
    const scope = gateScope(this.m, info, local, this.gateCall);
    const tr = new Translator(TORCH, scope);
    const params = decl.params.map((p) => local.get(p.name));
    const header = this.m.comments.code({ start: decl.headerSpan.start, end: decl.headerSpan.start }).replace(/\s*\{\s*$/, '');
    const forwardNames = new Set([...decl.params.map((p) => p.name), ...decl.body.map((a) => a.name)]);
    const bodyDims = new Set([...decl.body.flatMap((a) => [...namesIn(a.expr)])].filter((n) => scope.isDim(n)));
    const body = (c: PyCode) => {
      for (const l of dimBindings(decl, bodyDims, local)) c.line(l);
      this.lines(c, decl.body, tr, decl.headerSpan.end, scope);
    };
    const fnName = this.names.get(decl.name);
    if (!decl.backward) {
      code.line(`def ${fnName}(${params.join(', ')}):`).indent(() => {
        code.line(`"""${pyEscape(header)}: no backward block, so autograd differentiates it."""`);
        body(code);
        code.line(`return ${local.get(decl.output.name)}`);
      });
      code.blank(2);
      return;
    }
    const backward = decl.backward;
    const cls = this.classes.get(decl.name) as string;
    const types = this.m.session.gateTypes.get(decl.name) ?? new Map<string, ValueType>();
    const zeros = zeroGradients(decl, types);
    const used = new Set([...backward.body.flatMap((a) => [...namesIn(a.expr)]), ...zeros]);
    const backwardDims = new Set([...used].filter((n) => scope.isDim(n) && !forwardNames.has(n)));
    const bindFrom = inputsBinding(decl, backwardDims);
    const saved = [...forwardNames].filter((n) => used.has(n) || bindFrom.has(n));
    const savedPy = saved.map((n) => local.get(n));
    code.line(`class ${cls}(torch.autograd.Function):`).indent(() => {
      code.line(`"""${pyEscape(header)}, with its hand-written backward."""`).blank();
      code.line('first_call = None', "# the inputs of the first call: gradcheck checks the backward there").blank();
      code.line('@staticmethod').line(`def forward(ctx, ${params.join(', ')}):`).indent(() => {
        body(code);
        if (savedPy.length) code.line(`ctx.save_for_backward(${savedPy.join(', ')})`);
        code.line(`return ${local.get(decl.output.name)}`);
      });
      code.blank();
      code.line('@staticmethod').line(`def backward(ctx, ${local.get(info.doutName)}):`).indent(() => {
        const above = this.comments.between(decl.body[decl.body.length - 1]?.span.end ?? decl.headerSpan.end, backward.keywordSpan.start);
        if (above.length) code.comments(above);
        if (savedPy.length) code.line(`${savedPy.length === 1 ? `(${savedPy[0]},)` : savedPy.join(', ')} = ctx.saved_tensors`);
        for (const l of dimBindings(decl, backwardDims, local, new Set(saved))) code.line(l);
        // `dX = 0` stands for zeros shaped like X: autograd needs the full shape.
        const zero = (a: Assign) => [...zeros].find((p) => gradName(p) === a.name);
        this.lines(code, backward.body, tr, backward.keywordSpan.end, scope, (a) => (zero(a) ? `torch.zeros_like(${local.get(zero(a) as string)})` : null));
        const rets = decl.params.map((p) => (p.type.isInt ? 'None' : local.get(gradName(p.name))));
        code.line(`return ${rets.join(', ')}`);
      });
    });
    code.blank(2);
    code.line(`def ${fnName}(${params.join(', ')}):`).indent(() => {
      code.line(`if ${cls}.first_call is None:`).indent(() => {
        code.line(`${cls}.first_call = (${params.map((p) => `${p}.detach()`).join(', ')}${params.length === 1 ? ',' : ''})`);
      });
      code.line(`return ${cls}.apply(${params.join(', ')})`);
    });
    code.blank(2);
  }

  /** Assignments as Python lines, with the user's comments above and after them. */
  private lines(code: PyCode, body: Assign[], tr: Translator, after: number, scope: Scope, special?: (a: Assign) => string | null): void {
    let prev = after;
    for (const a of body) {
      const above = this.comments.between(prev, a.span.start);
      if (above.length) code.comments(above);
      scope.infer.infer(a.expr);
      const rhs = special?.(a) ?? tr.value(a.expr).code;
      code.line(`${scope.names.get(a.name)} = ${rhs}`, this.comments.trailing(a.span));
      prev = a.span.end;
    }
    for (const h of tr.helpers) this.helpers.add(h);
  }

  // ---------------------------------------------------------------- the network

  private network(): PyCode {
    const m = this.m;
    const code = new PyCode();
    const scope = topScope(m, this.names, (c) => this.randoms.ref(c), this.gateCall);
    const tr = new Translator(TORCH, scope);
    for (const s of m.program.statements) {
      if (s.kind === 'assign' && m.res.definitions.get(s.name) === s) {
        this.comments.above(code, s);
        scope.where = `${m.fileName} line ${m.comments.line(s.span.start) + 1}`;
        scope.infer.infer(s.expr);
        code.line(`${this.names.get(s.name)} = ${tr.value(s.expr).code}`, this.comments.trailing(s.span));
      } else if (s.kind === 'expect') {
        this.comments.above(code, s);
        code.comments([sourceLine(m, s)]);
      }
    }
    const footer = this.comments.footer();
    if (footer.length) code.comments(footer);
    for (const h of tr.helpers) this.helpers.add(h);
    return code;
  }

  // ---------------------------------------------------------------- backward, gradients, checks

  private driver(): string {
    const m = this.m;
    const root = this.names.get(m.root.name);
    const leaves = differentiable(m);
    const rootNode = m.graph.root === null ? null : m.graph.nodes[m.graph.root];
    const gateRows = gates(m)
      .filter(({ decl }) => decl.backward)
      .map(({ decl }) => `    (${pyString(decl.name)}, ${this.classes.get(decl.name)}, [${decl.params.map((p) => pyString(p.name)).join(', ')}]),`);
    const code = new PyCode();
    code.comments(['# ------------------------------------------------------------------ backward pass and checks']).blank();
    if (rootNode?.requiresGrad) code.line(`${root}.backward()`);
    else code.line(`# ${m.root.name} does not depend on any param or float input: no gradients to compute`);
    code.blank();
    code.line(`ROOT = ${root}`);
    code.line('# What GradLens differentiates: the params and the float inputs.');
    code.line(`LEAVES = {${leaves.map((d) => `${pyString(d.name)}: ${this.names.get(d.name)}`).join(', ')}}`);
    if (gateRows.length) {
      code.line('# Gates with a hand-written backward: (name, autograd.Function, input names).');
      code.raw(`GATES = [\n${gateRows.join('\n')}\n]`);
    }
    code.blank(2);
    if (gateRows.length) code.raw(GRADCHECK_GATE).blank(2);
    code.raw(`def finite(values):
    """JSON has no NaN or Infinity: those become null."""
    return [v if math.isfinite(v) else None for v in values]


def main():
    print(f"${m.root.name} = {ROOT.item()!r}")
    grads = {}
    for name, t in LEAVES.items():
        if t.grad is None:
            grads[name] = None
            print(f"\\nd{name}: no gradient ({name} does not affect ${m.root.name})")
            continue
        grads[name] = finite(t.grad.reshape(-1).tolist())
        if t.grad.dim() == 0:
            print(f"\\nd{name} = {t.grad.item()!r}")
        else:
            print(f"\\nd{name} {list(t.grad.shape)}:\\n{t.grad}")
${gateRows.length ? CHECK_GATES : '    checks, failed = {}, []  # no hand-written backward to gradcheck\n'}    result = {"file": ${pyString(`${m.stem}.grad`)}, "root": ${pyString(m.root.name)}, "value": finite([ROOT.item()])[0], "grads": grads, "gradcheck": checks, "failed": failed}
    print("GRADLENS_JSON " + json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
`);
    return code.toString();
  }
}

const GRADCHECK_GATE = `def gradcheck_gate(function, inputs, input_names):
    """torch.autograd.gradcheck of a hand-written backward, one input at a time so that a failure
    names the gradient that is wrong. Returns {"d<input>": passed}."""
    results = {}
    for k, name in enumerate(input_names):
        if not inputs[k].is_floating_point():
            continue  # integer labels get no gradient
        args = [t.detach().clone().requires_grad_(i == k) for i, t in enumerate(inputs)]
        try:
            ok = torch.autograd.gradcheck(function.apply, args, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=False)
        except RuntimeError as e:  # e.g. a gradient of the wrong shape
            print(f"  {name}: {e}")
            ok = False
        results["d" + name] = bool(ok)
    return results
`;

const CHECK_GATES = `
    checks, failed = {}, []
    print("\\ntorch.autograd.gradcheck of each hand-written backward, at the inputs of the gate's first call:")
    for gate_name, function, input_names in GATES:
        if function.first_call is None:
            print(f"  {gate_name}: never called, not checked")
            continue
        checks[gate_name] = gradcheck_gate(function, function.first_call, input_names)
        for grad_name, ok in checks[gate_name].items():
            print(f"  {gate_name}: {grad_name} {'passes' if ok else 'FAILS'}")
            if not ok:
                failed.append(f"{gate_name}.{grad_name}")
    if failed:
        print(f"\\n{len(failed)} gradient check{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}")
`;
