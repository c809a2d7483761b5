// The dashboard graph's pure parts: folding (consts and literal scalars into their consumer, the
// regularisation branch into a box), finding nodes by name and by the editor's selection, the
// layout in both directions, and where the view opens.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { GraphViewModel } from '../../src/core/model';
import { findNodes, nodeAtSelection } from '../../webview/graph/find';
import { foldGraph, GROUP_PREFIX, REF_PREFIX } from '../../webview/graph/fold';
import { layoutGraph, type Direction, type GraphLayout } from '../../webview/graph/layout';
import { chooseLayout, fitScale, openingView, READABLE_K } from '../../webview/graph/placement';

const ROOT = join(__dirname, '..', '..');
const text = (f: string) => readFileSync(join(ROOT, 'examples', f), 'utf8');
const viewOf = (f: string): GraphViewModel => {
  const v = analyze(text(f)).graphView;
  assert.ok(v);
  return v;
};
// A monospace stand-in for the canvas' text widths.
const measure = (t: string) => t.length * 7;
const EXAMPLES = ['two-layer-net.grad', 'convnet.grad', 'rnn.grad', 'circuit.grad', 'affine-gate.grad', 'window-classifier.grad'];

function consistent(v: GraphViewModel): void {
  const ids = new Set(v.nodes.map((n) => n.id));
  assert.equal(ids.size, v.nodes.length, 'ids are unique');
  for (const e of v.edges) assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.from} → ${e.to} joins drawn nodes`);
}

describe('graph folding', () => {
  it('folds the const reg of two-layer-net into its consumer and its regularisation branch into one box', () => {
    const v = viewOf('two-layer-net.grad');
    assert.ok(v.nodes.some((n) => n.kind === 'const' && n.name === 'reg'));
    const f = foldGraph(v, { fold: true, expanded: new Set() });
    consistent(f.view);
    assert.equal(f.view.nodes.some((n) => n.kind === 'const' || n.kind === 'literal'), false, 'no scalar leaf left');
    assert.equal(f.groups.size, 1);
    const [[gid, members]] = [...f.groups];
    const labels = members.map((id) => v.nodes.find((n) => n.id === id)?.label);
    assert.deepEqual(labels.sort(), ['*', '+', 'l2', 'l2']);
    const box = f.view.nodes.find((n) => n.id === gid);
    assert.ok(box);
    assert.equal(box.label, 'regularisation');
    // The box has the params in and the loss out; no member is drawn.
    // W1 and W2 enter through references drawn beside the box (the data path reads them too), not
    // through edges from the top of the graph; the references keep the edges' numbers.
    const into = f.view.edges.filter((e) => e.to === gid);
    assert.deepEqual(into.map((e) => f.view.nodes.find((n) => n.id === e.from)?.name).sort(), ['W1', 'W2']);
    assert.ok(into.every((e) => e.from.startsWith(REF_PREFIX) && e.gradNorm !== null));
    const w1 = v.nodes.find((n) => n.name === 'W1');
    assert.ok(f.view.edges.some((e) => e.from === w1?.id), 'W1 still feeds the data path');
    assert.equal(f.view.edges.some((e) => e.from === w1?.id && e.to === gid), false);
    assert.equal(f.view.edges.filter((e) => e.from === gid).length, 1);
    for (const m of members) assert.equal(f.view.nodes.some((n) => n.id === m), false);

    const open = foldGraph(v, { fold: true, expanded: new Set([gid]) });
    consistent(open.view);
    assert.equal(open.view.nodes.some((n) => n.id.startsWith(GROUP_PREFIX)), false);
    const times = open.view.nodes.find((n) => n.label.startsWith('*'));
    assert.equal(times?.label, '* reg', 'the const is in its consumer label');
    assert.equal(foldGraph(v, { fold: false, expanded: new Set() }).view, v, 'Unfold draws the analysis as is');
  });

  it('folds a literal scalar into its consumer and leaves graphs without one alone', () => {
    const v = analyze('input x: [3]\nparam w: [3] ~ randn\nloss = sum(0.5 * (x * w))\n').graphView;
    assert.ok(v);
    const f = foldGraph(v, { fold: true, expanded: new Set() });
    consistent(f.view);
    assert.equal(f.view.nodes.length, v.nodes.length - 1);
    assert.ok(f.view.nodes.some((n) => n.label === '* 0.5'), f.view.nodes.map((n) => n.label).join(' '));
    for (const file of ['convnet.grad', 'rnn.grad']) {
      const g = viewOf(file);
      assert.equal(foldGraph(g, { fold: true, expanded: new Set() }).view.nodes.length, g.nodes.length, file);
    }
  });
});

describe('finding nodes', () => {
  it('by name: exact names first, then prefixes', () => {
    const v = viewOf('two-layer-net.grad');
    assert.equal(findNodes(v.nodes, 'h1')[0].name, 'h1');
    assert.deepEqual(findNodes(v.nodes, 'w').slice(0, 2).map((n) => n.name), ['W1', 'W2']);
    assert.equal(findNodes(v.nodes, 'SCORES')[0].name, 'scores');
    assert.deepEqual(findNodes(v.nodes, 'zzz'), []);
    assert.deepEqual(findNodes(v.nodes, '  '), []);
  });

  it("by the editor's selection: the statement under the cursor, the expression a selection covers", () => {
    const src = text('two-layer-net.grad');
    const v = viewOf('two-layer-net.grad');
    const lines = src.split('\n');
    const h1 = lines.findIndex((l) => l.startsWith('h1'));
    const at = (line: number, a: number, b = a) => ({ start: { line, character: a }, end: { line, character: b } });
    assert.equal(nodeAtSelection(v.nodes, at(h1, 0))?.name, 'h1');
    const col = lines[h1].indexOf('X @ W1');
    const product = nodeAtSelection(v.nodes, at(h1, col, col + 'X @ W1'.length));
    assert.equal(product?.label, '@');
    const w1 = lines.findIndex((l) => l.startsWith('param W1'));
    assert.equal(nodeAtSelection(v.nodes, at(w1, 7))?.name, 'W1');
    assert.equal(nodeAtSelection(v.nodes, at(0, 0)), null, 'a comment line has no node');
  });
});

function overlaps(a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }): boolean {
  return Math.abs(a.x - b.x) * 2 < a.w + b.w - 1 && Math.abs(a.y - b.y) * 2 < a.h + b.h - 1;
}

function checkLayout(l: GraphLayout, file: string): void {
  for (let i = 0; i < l.nodes.length; i++)
    for (let j = i + 1; j < l.nodes.length; j++) assert.ok(!overlaps(l.nodes[i], l.nodes[j]), `${file} ${l.dir}: ${l.nodes[i].node.label} and ${l.nodes[j].node.label} overlap`);
  for (const p of l.nodes) {
    assert.ok(p.x - p.w / 2 >= 0 && p.x + p.w / 2 <= l.width && p.y - p.h / 2 >= 0 && p.y + p.h / 2 <= l.height, `${file} ${l.dir}: ${p.node.label} inside the layout`);
  }
  // Every edge runs along the flow: rightwards (LR) or downwards (TB).
  for (const e of l.edges) {
    const a = e.points[0];
    const b = e.points[e.points.length - 1];
    assert.ok(l.dir === 'LR' ? b.x > a.x : b.y > a.y, `${file} ${l.dir}: edge ${e.edge.from} → ${e.edge.to} runs along the flow`);
  }
}

describe('graph layout', () => {
  for (const file of EXAMPLES) {
    it(`lays out ${file} in both directions without overlapping boxes`, () => {
      const v = foldGraph(viewOf(file), { fold: true, expanded: new Set() }).view;
      for (const dir of ['LR', 'TB'] as Direction[]) {
        const l = layoutGraph(v, measure, dir);
        assert.equal(l.dir, dir);
        checkLayout(l, file);
      }
    });
  }

  it("a leaf's edges carry its numbers, not its shape (its box shows it)", () => {
    const l = layoutGraph(viewOf('two-layer-net.grad'), measure, 'TB');
    const fromLeaf = l.edges.filter((e) => l.nodes.find((p) => p.node.id === e.edge.from)?.node.kind === 'param');
    assert.ok(fromLeaf.length > 0);
    for (const e of fromLeaf) assert.equal(e.text.shape, '');
    assert.ok(l.edges.some((e) => e.text.shape === '[N, H]'), 'an op-to-op edge keeps the shape');
  });
});

describe('where the graph opens', () => {
  it('top to bottom in a tall panel, left to right in a wide one', () => {
    const v = foldGraph(viewOf('two-layer-net.grad'), { fold: true, expanded: new Set() }).view;
    assert.equal(chooseLayout(v, measure, { w: 620, h: 780 }).dir, 'TB');
    assert.equal(chooseLayout(v, measure, { w: 2400, h: 500 }).dir, 'LR');
  });

  it('fitted when the graph reads whole, else readable around the loss', () => {
    const v = foldGraph(viewOf('two-layer-net.grad'), { fold: true, expanded: new Set() }).view;
    const big = { w: 2000, h: 1400 };
    const l = chooseLayout(v, measure, big);
    const fitted = openingView(l, big, null);
    assert.ok(fitted.k >= READABLE_K && Math.abs(fitted.k - Math.min(fitScale(l, big), 1.5)) < 1e-9);
    const small = { w: 300, h: 300 };
    const s = chooseLayout(v, measure, small);
    const t = openingView(s, small, null);
    assert.equal(t.k, READABLE_K, 'never below the readable zoom');
    const root = s.nodes.find((p) => p.node.isRoot);
    assert.ok(root);
    const sx = t.x + root.x * t.k;
    const sy = t.y + root.y * t.k;
    assert.ok(sx >= 0 && sx <= small.w && sy >= 0 && sy <= small.h, `the loss is in view at ${sx}, ${sy}`);
  });
});
