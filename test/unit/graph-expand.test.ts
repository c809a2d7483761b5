// The graph's gate insides and recurrent steps: what the core sends (each gate call's forward body
// with its values and gradients, a recurrent op's per-step norms) and what the dashboard opens in
// place (graph/expand.ts), laid out in frames.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { GraphViewModel } from '../../src/core/model';
import { expandGraph, MAX_SHOWN_STEPS, shownSteps } from '../../webview/graph/expand';
import { foldGraph } from '../../webview/graph/fold';
import { layoutGraph } from '../../webview/graph/layout';

const ROOT = join(__dirname, '..', '..');
const viewOf = (src: string): GraphViewModel => {
  const v = analyze(src).graphView;
  assert.ok(v);
  return v;
};
const example = (f: string) => viewOf(readFileSync(join(ROOT, 'examples', f), 'utf8'));
const measure = (t: string) => t.length * 7;

function consistent(v: GraphViewModel): void {
  const ids = new Set(v.nodes.map((n) => n.id));
  assert.equal(ids.size, v.nodes.length, 'ids are unique');
  for (const e of v.edges) assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.from} → ${e.to} joins drawn nodes`);
}

describe('gate insides (core)', () => {
  it('sends the forward body of lstm.grad’s cell call with its inputs, output and the backward block’s gradients', () => {
    const v = example('lstm.grad');
    const box = v.nodes.find((n) => n.kind === 'gate' && n.label === 'cell');
    assert.ok(box);
    const gate = v.gates?.find((g) => g.id === box.id);
    assert.ok(gate);
    assert.equal(gate.key, 'cell#0');
    assert.equal(gate.parent, null);
    const label = (id: string) => gate.nodes.find((n) => n.id === id)?.label;
    assert.deepEqual(gate.inputs.map(label), ['ai', 'af', 'ag', 'ao', 'c']);
    assert.deepEqual(gate.nodes.filter((n) => n.kind === 'op').map((n) => n.label).filter((l) => l === 'sigmoid').length, 3);
    // Each argument edge into the box says which input it enters.
    assert.deepEqual(v.edges.filter((e) => e.to === box.id).map((e) => e.input), [0, 1, 2, 3, 4]);
    // cn's gradient is the block's dcn (with the real upstream, not a gradient check's random one).
    const cn = gate.nodes.find((n) => n.name === 'cn');
    assert.ok(cn?.gradStats && cn.gradStats.norm > 0);
    const out = gate.nodes.find((n) => n.id === gate.output);
    assert.ok(out?.gradStats);
    assert.ok(Math.abs(out.gradStats.norm - (box.gradStats?.norm ?? NaN)) < 1e-12, 'the output carries the call’s upstream gradient');
  });

  it('keys nested calls by their enclosing call, each a box in its caller’s inside', () => {
    const src = `dims N = 2
input x: [N]
gate inner(a: [N]) -> b: [N] { b = a * 2 }
gate outer(a: [N]) -> b: [N] { b = inner(a) + inner(a * 3) }
y = sum(outer(x))
z = y + sum(outer(x))
`;
    const v = viewOf(src);
    const keys = (v.gates ?? []).map((g) => g.key).sort();
    assert.deepEqual(keys, ['outer#0', 'outer#0/inner#0', 'outer#0/inner#1', 'outer#1', 'outer#1/inner#0', 'outer#1/inner#1']);
    const outer = v.gates?.find((g) => g.key === 'outer#0');
    const nested = v.gates?.filter((g) => g.parent === outer?.id) ?? [];
    assert.equal(nested.length, 2);
    for (const g of nested) assert.ok(outer?.nodes.some((n) => n.id === g.id && n.kind === 'gate'), 'a nested call is a box in its caller’s inside');
  });

  it('a call whose body has an error has no inside (and the view is still built)', () => {
    // Found by the fuzz test: the call's output node is missing (-1).
    const v = viewOf(`dims N = 1, D = 1, H = 2
input X: [N, D]
param W: [D, H] ~ xavier
param s = 0.5
gate g(X: [B, K], W: [K, J], s: []) -> out: [] {
  out = sum(X * s @ W)
}
loss = g(X, W, s)
`);
    assert.equal(v.gates, undefined);
    assert.deepEqual(expandGraph(v, new Set(['gate:g#0'])).view.nodes, v.nodes);
  });
});

describe('recurrent steps (core)', () => {
  it('rnn sends per-step norms that agree with the op’s output and records', () => {
    const v = example('rnn.grad');
    const op = v.nodes.find((n) => n.steps);
    assert.ok(op?.steps);
    const s = op.steps;
    assert.equal(s.count, 6);
    assert.match(s.formula, /h_t = tanh/);
    for (const series of [s.valueNorms, s.gradNorms, s.outputGradNorms, s.inputNorms, s.inputGradNorms, s.carriedGradNorms]) assert.equal(series?.length, 6);
    // ‖hs‖² is the sum of the steps' ‖h_t‖².
    const total = Math.hypot(...(s.valueNorms ?? []));
    assert.ok(Math.abs(total - (op.valueStats?.norm ?? NaN)) < 1e-9);
    // Only hs[-1] is read: the output sends gradient to the last step alone, and it reaches h_5 whole.
    assert.deepEqual(s.outputGradNorms?.slice(0, 5), [0, 0, 0, 0, 0]);
    assert.ok(Math.abs((s.outputGradNorms?.[5] ?? NaN) - (s.gradNorms?.[5] ?? NaN)) < 1e-12);
    // What step t sends back is what reaches h_{t−1} (no other use of h_{t−1}).
    for (let t = 1; t < 6; t++) assert.ok(Math.abs((s.carriedGradNorms?.[t] ?? NaN) - (s.gradNorms?.[t - 1] ?? NaN)) < 1e-12, `step ${t}`);
    // Step 0's part goes into h0, the edge's gradient.
    const h0 = v.edges.find((e) => e.to === op.id && e.input === 1);
    assert.ok(Math.abs((s.carriedGradNorms?.[0] ?? NaN) - (h0?.gradNorm ?? NaN)) < 1e-12);
  });

  it('lstm sends its steps too', () => {
    const op = example('lstm.grad').nodes.find((n) => n.steps);
    assert.equal(op?.steps?.count, 6);
    assert.deepEqual(op?.steps?.stateInputs, [1, 2]);
    assert.equal(op?.steps?.gradNorms?.length, 6);
  });
});

describe('opening in place (webview, pure)', () => {
  it('opens a gate call into its body and closes it again, nested calls one level at a time', () => {
    const v = example('affine-gate.grad');
    const closed = expandGraph(v, new Set());
    assert.deepEqual(closed.view.nodes, v.nodes);
    assert.equal(closed.clusters.length, 0);
    const first = v.gates?.[0];
    assert.ok(first);
    const open = expandGraph(v, new Set([`gate:${first.key}`]));
    consistent(open.view);
    assert.equal(open.view.nodes.some((n) => n.id === first.id), false, 'the box is replaced');
    assert.equal(open.clusters.length, 1);
    assert.equal(open.clusters[0].label, first.label);
    assert.equal(open.standIn.get(first.id), first.output);
    for (const id of first.inputs) assert.ok(open.view.edges.some((e) => e.to === id), 'each argument enters its input');
    assert.ok(open.view.edges.some((e) => e.from === first.output), 'the result leaves from the output');
    for (const m of first.nodes) assert.equal(open.ownerOf.get(m.id), first.id);
    const laid = layoutGraph(foldGraph(open.view, { fold: true, expanded: new Set() }).view, measure, 'LR', undefined, open.clusters);
    assert.equal(laid.frames.length, 1);
    const f = laid.frames[0];
    for (const p of laid.nodes.filter((q) => first.nodes.some((m) => m.id === q.node.id))) {
      assert.ok(Math.abs(p.x - f.x) <= f.w / 2 && Math.abs(p.y - f.y) <= f.h / 2, `${p.node.label} inside its frame`);
    }
  });

  it('unrolls rnn into its steps with the recurrence, each x_t and the stack', () => {
    const v = example('rnn.grad');
    const op = v.nodes.find((n) => n.steps);
    assert.ok(op);
    const u = expandGraph(v, new Set([`steps:${op.name}`]));
    consistent(u.view);
    const steps = u.view.nodes.filter((n) => n.id.startsWith(`${op.id}@`));
    assert.deepEqual(steps.map((n) => n.label), ['step 0', 'step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    const chain = u.view.edges.filter((e) => e.from.startsWith(`${op.id}@`) && e.to.startsWith(`${op.id}@`));
    assert.equal(chain.length, 5);
    assert.equal(chain[1].gradNorm, op.steps?.carriedGradNorms?.[2]);
    assert.equal(u.view.edges.filter((e) => e.to.startsWith(`${op.id}@`) && e.input === 0).length, 6, 'x_t into each step');
    assert.ok(u.view.nodes.some((n) => n.id === op.id && n.label === 'stack'), 'the op stays as the stack its users read');
    // Into the stack only the last step's edge has numbers (only hs[-1] is read; the other h_t are on the chain).
    const stacked = u.view.edges.filter((e) => e.to === op.id);
    assert.equal(stacked.length, 6);
    assert.deepEqual(stacked.map((e) => e.gradNorm !== null), [false, false, false, false, false, true]);
    for (const l of [layoutGraph(u.view, measure, 'LR', undefined, u.clusters), layoutGraph(u.view, measure, 'TB', undefined, u.clusters)]) assert.equal(l.frames.length, 1);
  });

  it('shows the first and last steps of a long sequence around one elision node', () => {
    assert.deepEqual(shownSteps(4), [0, 1, 2, 3]);
    assert.deepEqual(shownSteps(MAX_SHOWN_STEPS), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(shownSteps(50), [0, 1, 2, null, 48, 49]);
    const src = readFileSync(join(ROOT, 'examples', 'rnn.grad'), 'utf8').replace('T = 6', 'T = 40');
    const v = viewOf(src);
    const op = v.nodes.find((n) => n.steps);
    assert.ok(op);
    const u = expandGraph(v, new Set([`steps:${op.name}`]));
    consistent(u.view);
    const elision = u.view.nodes.find((n) => n.id === `${op.id}@…`);
    assert.equal(elision?.label, '⋯ 35 steps');
    // Through the elision the chain carries h_2 in and h_37's gradient out.
    const into = u.view.edges.find((e) => e.to === elision?.id && e.from === `${op.id}@2`);
    assert.equal(into?.valueNorm, op.steps?.valueNorms?.[2]);
    assert.equal(into?.gradNorm, op.steps?.carriedGradNorms?.[3]);
  });
});
