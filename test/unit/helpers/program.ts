// Test helpers for whole programs: analyse text, read values and gradients, and compare the
// engine's gradients with central finite differences of the root.
import assert from 'node:assert/strict';
import type { Analysis } from '../../../src/core/model';
import { analyzeSession, type AnalyzeOptions, type AnalysisSession } from '../../../src/core/analyze';
import { Execution } from '../../../src/core/engine/run';
import type { Tensor } from '../../../src/core/tensor/tensor';

export function run(text: string, options: AnalyzeOptions = {}): Analysis {
  return analyzeSession(text, options).analysis;
}

export function codes(a: Analysis): string[] {
  return a.diagnostics.map((d) => d.code);
}

export function errors(a: Analysis): string[] {
  return a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
}

export function node(a: Analysis, name: string) {
  const n = a.nodes.find((x) => x.name === name);
  assert.ok(n, `no node named ${name}; nodes: ${a.nodes.map((x) => x.name).join(', ')}`);
  return n;
}

export function value(a: Analysis, name: string): number[] {
  const v = node(a, name).value;
  assert.ok(v, `${name} has no value`);
  return Array.from(v);
}

export function grad(a: Analysis, name: string): number[] {
  const g = node(a, name).grad;
  assert.ok(g, `${name} has no gradient`);
  return Array.from(g);
}

export function assertClose(actual: number[] | number, expected: number[] | number, tol = 1e-9, what = ''): void {
  const a = Array.isArray(actual) ? actual : [actual];
  const e = Array.isArray(expected) ? expected : [expected];
  assert.equal(a.length, e.length, `${what}: length ${a.length} vs ${e.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - e[i]) <= tol * Math.max(1, Math.abs(e[i])), `${what}[${i}]: ${x} vs ${e[i]}`));
}

/** Root value after re-running the forward pass with the leaf `name` replaced by `t`. */
function rootWith(session: AnalysisSession, leafId: number, t: Tensor): number {
  const graph = session.graph!;
  const leaf = graph.nodes[leafId];
  const saved = leaf.init;
  leaf.init = t;
  try {
    const ex = new Execution(graph, session.analysis.seed);
    ex.forward();
    return (ex.values[graph.root!] as Tensor).item();
  } finally {
    leaf.init = saved;
  }
}

/** For a root of magnitude ≤ 1; scaled by |root| above that. */
const ROUND_OFF = 1e-9;

/**
 * Central differences of the root with respect to every entry of every leaf that takes a
 * gradient; asserts the engine's gradient agrees (relative error < tol away from kinks).
 * Returns the worst relative error.
 */
export function checkProgramGradients(text: string, opts: { tol?: number; h?: number; names?: string[] } = {}): number {
  const session = analyzeSession(text);
  const errs = session.analysis.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 0, `errors: ${errs.map((d) => d.message).join('; ')}`);
  const graph = session.graph!;
  const ex = session.execution!;
  assert.ok(graph.root !== null, 'no root');
  const h = opts.h ?? 1e-6;
  const tol = opts.tol ?? 1e-7;
  // The round-off of a central difference grows with the root's magnitude (eps·|f|/h).
  const roundOff = ROUND_OFF * Math.max(1, Math.abs((ex.values[graph.root!] as Tensor).item()));
  let worst = 0;
  for (const [name, id] of graph.named) {
    const n = graph.nodes[id];
    if (n.kind !== 'param' && n.kind !== 'input') continue;
    if (!n.requiresGrad || (opts.names && !opts.names.includes(name))) continue;
    const g = ex.grads[id];
    assert.ok(g, `${name}: no gradient`);
    const base = n.init as Tensor;
    for (let i = 0; i < base.size; i++) {
      const plus = base.clone();
      const minus = base.clone();
      plus.data[i] += h;
      minus.data[i] -= h;
      const num = (rootWith(session, id, plus) - rootWith(session, id, minus)) / (2 * h);
      const ana = g.data[i];
      const rel = Math.abs(num - ana) / Math.max(1e-8, Math.abs(num) + Math.abs(ana));
      // Central differences carry round-off of about eps·|f|/h ≈ 1e-10 here: below that, a
      // relative error between two tiny numbers says nothing.
      const abs = Math.abs(num - ana);
      worst = Math.max(worst, abs < roundOff ? 0 : rel);
      assert.ok(rel < tol || abs < roundOff, `${name}[${i}]: analytic ${ana} vs numeric ${num} (rel ${rel.toExponential(2)})`);
    }
  }
  return worst;
}
