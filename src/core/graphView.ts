// The computational graph as the dashboard draws it: leaves, operations and gates (a gate call is
// one box), and edges carrying the forward value above and the gradient that flowed back along
// that edge below — the picture of the lecture, for the user's own network.
import type { Diagnostic } from './diagnostics';
import type { GradCheckResult, GraphViewModel, ViewEdge, ViewGate, ViewNode, ViewNodeKind, ViewStatus, ViewSteps } from './model';
import type { GateCall, Graph, GraphNode } from './engine/graph';
import type { Execution } from './engine/run';
import type { LineMap, Span } from './text';
import { statsOf } from './stats';
import { CORE_DEFAULTS } from './defaults';
import { formatNumber } from './format/number';
import type { Tensor } from './tensor/tensor';

/** Graphs with more operations than this are not drawn (nobody can read them; building them costs). */
export const MAX_VIEW_NODES = 3000;

function scalarOf(t: Tensor | null | undefined): number | null {
  return t && t.size === 1 && t.rank === 0 ? t.data[0] : null;
}

function normOf(t: Tensor | null | undefined): number | null {
  return t ? statsOf(t).norm : null;
}

/**
 * The id of the box that draws a node in the inside of gate call `level` (null: the file's top
 * level): `n<id>` for its own nodes, `g<call>` for everything inside a call made at that level, an
 * unnamed marker's input's box; null for what is not drawn (or not at that level).
 */
function viewIdsAt(graph: Graph, level: number | null): (id: number) => string | null {
  const { nodes, gateCalls } = graph;
  const viewId = (id: number): string | null => {
    const n = nodes[id] as GraphNode | undefined;
    // A call whose body could not be built has no output node (-1).
    if (!n || n.kind === 'dout') return null;
    if (n.gateCall !== null && n.gateCall !== level) {
      // The call made at this level that holds the node.
      let c: number | null = n.gateCall;
      while (c !== null && gateCalls[c].caller !== level) c = gateCalls[c].caller;
      return c === null ? null : `g${c}`;
    }
    if (n.op?.marker && n.name === null) return viewId(n.inputs[0]);
    return `n${id}`;
  };
  return viewId;
}

/**
 * The id of the box that draws a node at the top level (`n<id>`, `g<call>` for everything inside a
 * gate call, an unnamed marker's input's box); null for what is not drawn. The debugger names the
 * boxes it follows with the same ids.
 */
export function viewIdsOf(graph: Graph): (id: number) => string | null {
  return viewIdsAt(graph, null);
}

/** Whether node `id` belongs to the inside of call `level` (or a call nested in it). */
function inside(graph: Graph, id: number, level: number | null): boolean {
  if (level === null) return true;
  for (let c = graph.nodes[id].gateCall; c !== null; c = graph.gateCalls[c].caller) if (c === level) return true;
  return false;
}

/** The norm of each slice along the first axis (a recurrent op's time steps). */
function stepNorms(t: Tensor | null | undefined, steps: number): number[] | null {
  if (!t || t.rank === 0 || t.shape[0] !== steps || steps === 0 || steps > CORE_DEFAULTS.maxStepSeries) return null;
  const per = t.size / steps;
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    let sq = 0;
    for (let i = s * per; i < (s + 1) * per; i++) sq += t.data[i] * t.data[i];
    out.push(Math.sqrt(sq));
  }
  return out;
}

export function buildGraphView(graph: Graph, ex: Execution | null, diagnostics: Diagnostic[], checks: GradCheckResult[], lineMap: LineMap): GraphViewModel {
  const { nodes, gateCalls } = graph;
  if (graph.order.length > MAX_VIEW_NODES) {
    return { nodes: [], edges: [], omitted: `the graph has ${graph.order.length} nodes; the dashboard draws graphs of up to ${MAX_VIEW_NODES}` };
  }
  const problems = (span: Span): { status: ViewStatus; problem: string | null } => {
    const r = lineMap.range(span);
    const overlapping = diagnostics.filter((d) => d.range.start.line <= r.end.line && d.range.end.line >= r.start.line && (d.range.start.line !== r.end.line || d.range.start.character <= r.end.character) && (d.range.end.line !== r.start.line || d.range.end.character >= r.start.character));
    const err = overlapping.find((d) => d.severity === 'error');
    if (err) return { status: 'error', problem: err.message };
    const warn = overlapping.find((d) => d.severity === 'warning');
    return warn ? { status: 'warning', problem: warn.message } : { status: 'ok', problem: null };
  };

  const valueOf = (id: number) => ex?.values[id] ?? null;
  /**
   * A node's gradient: the engine's, else (inside a gate whose backward block the user wrote, where
   * the engine differentiates the call as a whole) the block's `d<name>` for a named node.
   */
  const gradOf = (id: number): Tensor | null => {
    const own = ex?.grads[id] ?? null;
    const n = nodes[id];
    if (own || !ex || n.gateCall === null || n.name === null) return own;
    const gc = gateCalls[n.gateCall];
    if (!gc.backward) return null;
    const d = id === gc.outputNode ? gc.backward.doutNode : gc.names.get(`d${n.name}`);
    const g = d === undefined ? null : (ex.values[d] ?? null);
    return g && g.size === ex.values[id]?.size ? g : null;
  };
  const stepsOf = (n: GraphNode): ViewSteps | undefined => {
    const r = n.op?.recurrent;
    if (!r) return undefined;
    const count = n.sizes[0] ?? 0;
    const rec = ex?.records.get(n.id);
    const series = (a: number[] | undefined) => (a && a.length === count && count <= CORE_DEFAULTS.maxStepSeries ? a : null);
    const carried = series(rec?.carriedGradNorms);
    const h0 = ex?.edgeGrad(n.id, r.states[0]);
    return {
      formula: r.step,
      count,
      sequenceInput: r.sequence,
      stateInputs: [...r.states],
      valueNorms: stepNorms(valueOf(n.id), count),
      gradNorms: series(rec?.timestepGradNorms),
      outputGradNorms: stepNorms(gradOf(n.id), count),
      inputNorms: stepNorms(valueOf(n.inputs[r.sequence]), count),
      inputGradNorms: stepNorms(ex?.edgeGrad(n.id, r.sequence), count),
      // Step 0 sends its part back into the initial state only when that takes a gradient.
      carriedGradNorms: carried && (count === 0 || h0 ? carried : carried.map((v, t) => (t === 0 ? 0 : v))),
    };
  };
  const describe = (n: GraphNode, id: string, kind: ViewNodeKind, label: string, valueNode: number, span: Span): ViewNode => {
    const v = valueOf(valueNode);
    const g = gradOf(valueNode);
    const node: ViewNode = {
      id,
      kind,
      label,
      name: n.name,
      dims: n.type.shape.map((d) => (d.origin === 'derived' && d.size !== null ? String(d.size) : d.sym)),
      shape: [...n.sizes],
      value: scalarOf(v),
      grad: scalarOf(g),
      valueStats: v ? statsOf(v) : null,
      gradStats: g ? statsOf(g) : null,
      range: lineMap.range(span),
      ...problems(span),
      isRoot: graph.root === valueNode,
    };
    const steps = stepsOf(n);
    if (steps) node.steps = steps;
    return node;
  };
  const gateBox = (gc: GateCall, vid: string): ViewNode => {
    const gateNode = describe(nodes[gc.outputNode], vid, 'gate', gc.gate.decl.name, gc.outputNode, gc.span);
    const failing = checks.find((c) => c.target.startsWith(`${gc.gate.decl.name}.`) && c.verdict === 'fail');
    if (failing) {
      gateNode.status = 'error';
      gateNode.problem = `gradient check of ${failing.target} failed (relative error ${formatNumber(failing.maxRelError)})`;
    }
    return gateNode;
  };

  /** The boxes and edges of one level: the file's top level, or the inside of gate call `level`. */
  const buildLevel = (level: number | null): { nodes: ViewNode[]; edges: ViewEdge[] } => {
    const viewId = viewIdsAt(graph, level);
    const own = level === null ? null : gateCalls[level];
    // A node of another level (a leaf of the file a body reads) is drawn by its own level.
    const sourceId = (src: number) => (inside(graph, src, level) ? viewId(src) : viewIdsAt(graph, nodes[src].gateCall)(src));
    const out = new Map<string, ViewNode>();
    const edges: ViewEdge[] = [];
    const addEdge = (src: number, to: string, consumer: number, consumerInput: number, input: number, grad: Tensor | null = ex?.edgeGrad(consumer, consumerInput) ?? null): void => {
      const from = sourceId(src);
      if (from === null || from === to) return;
      const v = valueOf(src);
      edges.push({ from, to, value: scalarOf(v), valueNorm: normOf(v), grad: scalarOf(grad), gradNorm: normOf(grad), dims: nodes[src].type.shape.map((d) => d.sym), input });
    };
    for (const id of graph.order) {
      if (!inside(graph, id, level)) continue;
      const n = nodes[id];
      const vid = viewId(id);
      if (vid === null) continue;
      if (vid.startsWith('g')) {
        const gc = gateCalls[Number(vid.slice(1))];
        if (id !== gc.outputNode || out.has(vid)) continue;
        out.set(vid, gateBox(gc, vid));
        gc.outerInputs.forEach((src, k) => addEdge(src, vid, gc.inputNodes[k], 0, k));
        continue;
      }
      if (out.has(vid)) continue;
      if (n.kind !== 'op') {
        const kind = n.kind === 'literal' ? 'literal' : (n.kind as ViewNodeKind);
        out.set(vid, describe(n, vid, kind, n.label, id, n.span));
        continue;
      }
      const entry = own ? own.inputNodes.indexOf(id) : -1;
      // Inside a gate, its inputs and its output are named by the gate's parameters.
      const label = entry >= 0 || id === own?.outputNode ? (n.name ?? '=') : n.op?.marker ? '=' : n.label;
      out.set(vid, describe(n, vid, 'op', label, id, n.span));
      // What enters a gate's input comes from outside its inside (the edge into the call's box).
      if (entry < 0) n.inputs.forEach((src, j) => addEdge(src, vid, id, j, j));
    }
    if (own?.backward && ex) {
      // The block gives each named node's gradient, not each edge's: an edge carries it when it is
      // its source's only way to the output.
      const uses = new Map<string, number>();
      for (const e of edges) uses.set(e.from, (uses.get(e.from) ?? 0) + 1);
      for (const e of edges) {
        if (e.grad !== null || e.gradNorm !== null || uses.get(e.from) !== 1 || !e.from.startsWith('n')) continue;
        const g = gradOf(Number(e.from.slice(1)));
        if (g) Object.assign(e, { grad: scalarOf(g), gradNorm: normOf(g) });
      }
    }
    return { nodes: [...out.values()], edges };
  };

  const top = buildLevel(null);
  const gates: ViewGate[] = [];
  const keys = new Map<number, string>();
  const ordinal = new Map<string, number>();
  for (const gc of gateCalls) {
    // Calls are listed in the order they are made: an enclosing call before the calls in its body.
    const parentKey = gc.caller === null ? '' : `${keys.get(gc.caller) ?? ''}/`;
    const name = gc.gate.decl.name;
    const k = ordinal.get(`${parentKey}${name}`) ?? 0;
    ordinal.set(`${parentKey}${name}`, k + 1);
    const key = `${parentKey}${name}#${k}`;
    keys.set(gc.index, key);
    // A call whose body could not be built (an error in it) has no inside to open.
    if (!nodes[gc.outputNode]) continue;
    const level = buildLevel(gc.index);
    const viewId = viewIdsAt(graph, gc.index);
    gates.push({
      id: `g${gc.index}`,
      key,
      parent: gc.caller === null ? null : `g${gc.caller}`,
      label: name,
      nodes: level.nodes,
      edges: level.edges,
      inputs: gc.inputNodes.map((id) => viewId(id) ?? ''),
      output: viewId(gc.outputNode) ?? '',
    });
  }
  return gates.length ? { ...top, gates } : top;
}
