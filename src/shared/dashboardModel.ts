// The dashboard's model of an analysis: a slim copy of the Analysis, bounded whatever the file.
// The Analysis the extension host holds carries every kept tensor's values and both histograms of
// every statement; a dashboard draws none of that per keystroke. What it posts to a webview instead:
// at most DASHBOARD_LIMITS.nodes statements (the params, the inputs and the root first), statistics
// without their histograms, and value/gradient arrays only for scalars. The histograms and the
// values of one tensor are fetched when the dashboard shows them (`tensor` messages, answered by
// `tensorDetail` from the same Analysis).
import type { Analysis, GateSummary, GraphViewModel, NodeResult, TensorStats, ViewNode } from '../core/browser';

export const DASHBOARD_LIMITS = {
  /** Statements (named tensors) the dashboard lists; the rest are counted in `omittedNodes`. */
  nodes: 1000,
  /** Entries of one tensor's value (and of its gradient) a `tensor` reply carries. */
  valuesPerTensor: 4096,
} as const;

/** What a dashboard draws: an Analysis whose nodes and statistics were slimmed (see the file's head). */
export interface DashboardAnalysis extends Analysis {
  /** Statements of the file not listed in `nodes` (the dashboard says how many). */
  omittedNodes: number;
  /** Always true: the statistics' histograms are empty and tensors' arrays left out (fetch them with `tensor`). */
  slim: true;
}

/** One tensor in full, as the dashboard fetches it when it shows it. */
export interface TensorDetail {
  name: string;
  shape: number[];
  valueStats: TensorStats | null;
  gradStats: TensorStats | null;
  /** The first entries (row-major, at most DASHBOARD_LIMITS.valuesPerTensor); null when the analysis kept none. */
  value: number[] | null;
  grad: number[] | null;
  /** Entries in all (the arrays may hold fewer). */
  count: number;
}

const EMPTY: number[] = [];

function slimStats(s: TensorStats | null): TensorStats | null {
  return s && { ...s, histogram: EMPTY };
}

const isScalar = (n: { shape: number[] }) => n.shape.every((d) => d === 1);

function slimNode(n: NodeResult): NodeResult {
  const scalar = isScalar(n);
  // Plain numbers: the model is posted to a webview.
  const value = scalar && n.value ? Array.from(n.value) : null;
  const grad = scalar && n.grad ? Array.from(n.grad) : null;
  return {
    ...n,
    value,
    grad,
    valueStats: slimStats(n.valueStats),
    gradStats: slimStats(n.gradStats),
    truncated: n.truncated || (n.value !== null && value === null) || (n.grad !== null && grad === null),
  };
}

function slimViewNodes(nodes: ViewNode[]): ViewNode[] {
  return nodes.map((n) => ({ ...n, valueStats: slimStats(n.valueStats), gradStats: slimStats(n.gradStats) }));
}

function slimGraph(g: GraphViewModel | null): GraphViewModel | null {
  if (!g) return null;
  return { ...g, nodes: slimViewNodes(g.nodes), ...(g.gates ? { gates: g.gates.map((c) => ({ ...c, nodes: slimViewNodes(c.nodes) })) } : {}) };
}

function slimGate(g: GateSummary): GateSummary {
  return { ...g, locals: g.locals.map((l) => ({ ...l, valueStats: slimStats(l.valueStats), gradStats: slimStats(l.gradStats) })) };
}

/**
 * The statements a dashboard lists, at most `limit`: every param, input and the root first (what
 * the checks, the landscape and the training pick from), then the others in file order; the
 * result is in file order.
 */
function listed(a: Analysis, limit: number): NodeResult[] {
  if (a.nodes.length <= limit) return a.nodes;
  const first = (n: NodeResult) => n.kind === 'param' || n.kind === 'input' || n.name === a.root;
  const keep = new Set<NodeResult>();
  for (const pass of [true, false])
    for (const n of a.nodes) {
      if (keep.size >= limit) break;
      if (first(n) === pass) keep.add(n);
    }
  return a.nodes.filter((n) => keep.has(n));
}

/** The slim model of an Analysis a dashboard is sent (bounded by DASHBOARD_LIMITS and the graph view's own cap). */
export function dashboardAnalysis(a: Analysis, limits: { nodes: number } = DASHBOARD_LIMITS): DashboardAnalysis {
  const nodes = listed(a, limits.nodes).map(slimNode);
  return {
    ...a,
    nodes,
    gates: a.gates.map(slimGate),
    graphView: slimGraph(a.graphView),
    omittedNodes: a.nodes.length - nodes.length,
    slim: true,
  };
}

/** One tensor of an Analysis in full (its histograms, its first values): null when there is no such statement. */
export function tensorDetail(a: Analysis, name: string, limit: number = DASHBOARD_LIMITS.valuesPerTensor): TensorDetail | null {
  const n = a.nodes.find((x) => x.name === name);
  if (!n) return null;
  return {
    name,
    shape: n.shape,
    valueStats: n.valueStats,
    gradStats: n.gradStats,
    value: n.value && Array.from(n.value.slice(0, limit)),
    grad: n.grad && Array.from(n.grad.slice(0, limit)),
    count: n.shape.reduce((p, d) => p * d, 1),
  };
}

/** Numbers a dashboard model carries in value/gradient arrays and histograms (what the bound is about). */
export function numbersShipped(a: Analysis): number {
  const stats = (s: TensorStats | null) => s?.histogram.length ?? 0;
  let total = 0;
  for (const n of a.nodes) total += (n.value?.length ?? 0) + (n.grad?.length ?? 0) + stats(n.valueStats) + stats(n.gradStats);
  const views = [...(a.graphView?.nodes ?? []), ...(a.graphView?.gates ?? []).flatMap((g) => g.nodes)];
  for (const v of views) total += stats(v.valueStats) + stats(v.gradStats);
  for (const g of a.gates) for (const l of g.locals) total += stats(l.valueStats) + stats(l.gradStats);
  return total;
}
