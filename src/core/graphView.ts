// The computational graph as the dashboard draws it: leaves, operations and gates (a gate call is
// one box), and edges carrying the forward value above and the gradient that flowed back along
// that edge below — the picture of the lecture, for the user's own network.
import type { Diagnostic } from './diagnostics';
import type { GradCheckResult, GraphViewModel, ViewEdge, ViewNode, ViewNodeKind, ViewStatus } from './model';
import type { Graph, GraphNode } from './engine/graph';
import type { Execution } from './engine/run';
import type { LineMap, Span } from './text';
import { statsOf } from './stats';
import type { Tensor } from './tensor/tensor';

/** Graphs with more operations than this are not drawn (nobody can read them; building them costs). */
export const MAX_VIEW_NODES = 3000;

function scalarOf(t: Tensor | null | undefined): number | null {
  return t && t.size === 1 && t.rank === 0 ? t.data[0] : null;
}

function normOf(t: Tensor | null | undefined): number | null {
  return t ? statsOf(t).norm : null;
}

/** The top-level gate call a call belongs to (nested gates collapse into their outermost call). */
function topCallOf(graph: Graph): (gcIndex: number) => number {
  const { nodes, gateCalls } = graph;
  return (gcIndex) => {
    let cur = gcIndex;
    for (;;) {
      const outer = nodes[gateCalls[cur].outerInputs[0]]?.gateCall ?? null;
      if (outer === null || outer === cur) return cur;
      cur = outer;
    }
  };
}

/**
 * The id of the box that draws a node (`n<id>`, `g<call>` for everything inside a gate call, an
 * unnamed marker's input's box); null for what is not drawn. The debugger names the boxes it
 * follows with the same ids.
 */
export function viewIdsOf(graph: Graph): (id: number) => string | null {
  const { nodes } = graph;
  const topCall = topCallOf(graph);
  const viewId = (id: number): string | null => {
    const n = nodes[id];
    if (n.kind === 'dout') return null;
    if (n.gateCall !== null) return `g${topCall(n.gateCall)}`;
    if (n.op?.marker && n.name === null) return viewId(n.inputs[0]);
    return `n${id}`;
  };
  return viewId;
}

export function buildGraphView(graph: Graph, ex: Execution | null, diagnostics: Diagnostic[], checks: GradCheckResult[], lineMap: LineMap): GraphViewModel {
  const { nodes, gateCalls } = graph;
  if (graph.order.length > MAX_VIEW_NODES) {
    return { nodes: [], edges: [], omitted: `the graph has ${graph.order.length} nodes; the dashboard draws graphs of up to ${MAX_VIEW_NODES}` };
  }
  const viewId = viewIdsOf(graph);
  const topCall = topCallOf(graph);
  const problems = (span: Span): { status: ViewStatus; problem: string | null } => {
    const r = lineMap.range(span);
    const overlapping = diagnostics.filter((d) => d.range.start.line <= r.end.line && d.range.end.line >= r.start.line && (d.range.start.line !== r.end.line || d.range.start.character <= r.end.character) && (d.range.end.line !== r.start.line || d.range.end.character >= r.start.character));
    const err = overlapping.find((d) => d.severity === 'error');
    if (err) return { status: 'error', problem: err.message };
    const warn = overlapping.find((d) => d.severity === 'warning');
    return warn ? { status: 'warning', problem: warn.message } : { status: 'ok', problem: null };
  };

  const out = new Map<string, ViewNode>();
  const edges: ViewEdge[] = [];
  const valueOf = (id: number) => ex?.values[id] ?? null;
  const gradOf = (id: number) => ex?.grads[id] ?? null;
  const describe = (n: GraphNode, id: string, kind: ViewNodeKind, label: string, valueNode: number, span: Span): ViewNode => {
    const v = valueOf(valueNode);
    const g = gradOf(valueNode);
    return {
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
  };

  for (const id of graph.order) {
    const n = nodes[id];
    const vid = viewId(id);
    if (vid === null) continue;
    if (n.gateCall !== null) {
      const gc = gateCalls[topCall(n.gateCall)];
      if (id !== gc.outputNode || out.has(vid)) continue;
      const gateNode = describe(nodes[gc.outputNode], vid, 'gate', gc.gate.decl.name, gc.outputNode, gc.span);
      const failing = checks.find((c) => c.target.startsWith(`${gc.gate.decl.name}.`) && c.verdict === 'fail');
      if (failing) {
        gateNode.status = 'error';
        gateNode.problem = `gradient check of ${failing.target} failed (relative error ${failing.maxRelError.toExponential(2)})`;
      }
      out.set(vid, gateNode);
      gc.outerInputs.forEach((src, k) => addEdge(src, vid, `${gc.inputNodes[k]}:0`));
      continue;
    }
    if (out.has(vid)) continue;
    if (n.kind !== 'op') {
      const kind = n.kind === 'literal' ? 'literal' : (n.kind as ViewNodeKind);
      out.set(vid, describe(n, vid, kind, n.label, id, n.span));
      continue;
    }
    out.set(vid, describe(n, vid, 'op', n.op?.marker ? '=' : n.label, id, n.span));
    n.inputs.forEach((src, j) => addEdge(src, vid, `${id}:${j}`));
  }

  function addEdge(src: number, to: string, gradKey: string): void {
    const from = viewId(src);
    if (from === null || from === to) return;
    const v = valueOf(src);
    const g = ex?.edgeGrads.get(gradKey) ?? null;
    edges.push({
      from,
      to,
      value: scalarOf(v),
      valueNorm: normOf(v),
      grad: scalarOf(g),
      gradNorm: normOf(g),
      dims: nodes[src].type.shape.map((d) => d.sym),
    });
  }
  return { nodes: [...out.values()], edges };
}
