// Stage 3, plan: what the run will cost — every float64 it will hold (leaves, values, gradients,
// what ops keep for their backward pass, the largest workspace) and every operation it will do —
// counted against the budget before anything of that size is allocated. A file over the budget
// gets a `too-large` diagnostic, never an out-of-memory or an hour-long run. The gradient checks'
// working memory is planned too: when only the checks do not fit, they are skipped with a note.
import { CORE_DEFAULTS, DEFAULT_GRADCHECK_OPTIONS, limitText, NUMBER_SETTINGS } from '../defaults';
import type { DiagnosticSink } from '../diagnostics';
import type { Graph, GraphNode } from '../engine/graph';
import { formatNumber } from '../format/number';
import type { TensorDecl } from '../lang/ast';
import { backwardCost, COST, forwardCost } from '../ops/cost';
import { isLabelArgument } from '../ops/op';
import { formatShape } from '../shapes/shape';
import type { AnalyzeOptions } from './session';

export const DEFAULT_MAX_ELEMENTS: number = NUMBER_SETTINGS.maxElements.default;
export const DEFAULT_MAX_FLOPS: number = CORE_DEFAULTS.maxFlops;

/**
 * Stacked values a batched gradient check keeps at most (checks/batched: BATCH_BUDGET), with its
 * arena. A batch is a tile: with less room the checker stacks fewer perturbations at a time (or
 * none: below two a batch does not pay and entries are evaluated one by one).
 */
export const BATCHED_CHECK_ELEMENTS = 2 * (1 << 22);

/**
 * Copies of the forward values (and what they keep for backward) a gradient check holds beside the
 * run's own, measured (test/unit/memory-guard.test.ts, the lstm example scaled up, where the saved
 * gates dominate): the evaluation under way and up to two earlier ones not yet swept by V8 (x+h
 * and x−h). It was 1.5, and the checks held twice what the plan had counted.
 */
export const REGION_COPIES = 3;

/**
 * Bytes an analysis holds per graph node besides tensor data: the node's record, its lowering's
 * leftovers, the run's slots, statistics and results, and the garbage they leave before V8 collects
 * it. Measured on issue 15's exponential gates (98,303 and 196,607 nodes): 1.8 KB held after the
 * run, 2.6 KB of peak RSS a node. Counted in the element budget (NODE_ELEMENTS float64s a node),
 * before the graph is built: 200,000 nodes would have held ~600 MB that no limit counted.
 */
export const NODE_BYTES = 3072;

/** A graph node's bookkeeping in float64 elements (what the element budget counts). */
export const NODE_ELEMENTS = NODE_BYTES / Float64Array.BYTES_PER_ELEMENT;

/** Which bound limits the graph's nodes: their count, the memory they hold, or the work they take. */
export type NodeBound = 'count' | 'memory' | 'time';

/**
 * The most nodes the graph may have: the node cap (maxNodes), and what the element and operation
 * budgets allow for the nodes alone (NODE_ELEMENTS, COST.graphNode each), whichever is least.
 */
export function nodeLimit(options: AnalyzeOptions): { limit: number; bound: NodeBound } {
  const count = options.maxNodes ?? CORE_DEFAULTS.maxNodes;
  const memory = Math.floor((options.maxElements ?? DEFAULT_MAX_ELEMENTS) / NODE_ELEMENTS);
  const time = Math.floor((options.maxFlops ?? DEFAULT_MAX_FLOPS) / COST.graphNode);
  if (memory < count && memory <= time) return { limit: memory, bound: 'memory' };
  if (time < count) return { limit: time, bound: 'time' };
  return { limit: count, bound: 'count' };
}

/** Why a graph of `limit` nodes is the most: the words of a `too-large` message. */
export function nodeLimitText(limit: number, bound: NodeBound, options: AnalyzeOptions): string {
  if (bound === 'memory')
    return `${limitText(limit)} nodes, the most the element limit of ${limitText(options.maxElements ?? DEFAULT_MAX_ELEMENTS)} (${maxElementsSource(options)}) holds at about ${NODE_BYTES / 1024} KB of bookkeeping a node`;
  if (bound === 'time')
    return `${limitText(limit)} nodes, the most the operation limit of ${formatNumber(options.maxFlops ?? DEFAULT_MAX_FLOPS)} allows at about ${COST.graphNode / 1000} µs of lowering and bookkeeping a node`;
  return `${limitText(limit)} nodes`;
}

export function elementsOf(sizes: readonly number[]): number {
  return sizes.reduce((a, b) => a * b, 1);
}

/** What sets the element limit and how far it goes, as the `too-large` messages say it. */
export function maxElementsSource(options: AnalyzeOptions): string {
  return options.maxElementsSource ?? `gradlens.maxElements, --max-elements; at most ${limitText(NUMBER_SETTINGS.maxElements.maximum)}`;
}

/** One declaration alone against the element limit (before its recipe is even made). */
export function withinElementLimit(s: TensorDecl, sizes: number[], options: AnalyzeOptions, sink: DiagnosticSink): boolean {
  const limit = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const n = elementsOf(sizes);
  if (n <= limit) return true;
  sink.error('too-large', `\`${s.name}\` would hold ${sizes.join('×')} = ${limitText(n)} elements, over the limit of ${limitText(limit)} (${maxElementsSource(options)}); lower the dimension sizes (dims or --dim)`, s.nameSpan);
  return false;
}

/** What a run will hold and do, counted before it starts. */
export interface RunPlan {
  /** Float64 elements held at the peak of the run (an int32 array counts half). */
  elements: number;
  /** What the gradient checks hold besides (re-evaluated values, the perturbed copy, batches). */
  checkElements: number;
  /** Cost units (≈ ns, ops/cost.ts) of the forward pass, the backward pass and the results. */
  operations: number;
  /** Whether the gradient checks fit in the memory budget beside the run. */
  checksFit: boolean;
  /** Floats a batched check may stack at once: what the budget leaves, up to the checker's own cap. */
  batchElements: number;
}

interface NodeTally {
  node: GraphNode;
  elements: number;
  operations: number;
}

/**
 * The whole run against the limits: every node's value, the gradients the backward pass sends
 * along each edge (kept for the graph view) and their sums, what each op keeps for backward, the
 * largest temporary workspace, and the operations of both passes. Null (with a `too-large`
 * diagnostic on the node that weighs most) when it does not fit.
 */
export function planRun(graph: Graph, options: AnalyzeOptions, sink: DiagnosticSink): RunPlan | null {
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const maxOps = options.maxFlops ?? DEFAULT_MAX_FLOPS;
  const tallies = graph.nodes.map((node) => ({ node, elements: 0, operations: 0 }));
  const inOrder = new Set(graph.order);
  // Gradient edges into each node: one tensor per edge, and a new sum for every edge after the first.
  const edges = new Array<number>(graph.nodes.length).fill(0);
  let values = 0;
  let saved = 0;
  let scratch = 0;
  let scratchAt: NodeTally | null = null;
  let forwardValues = 0;
  let maxLeaf = 0;
  for (const n of graph.nodes) {
    const t = tallies[n.id];
    const size = elementsOf(n.sizes);
    values += size;
    t.elements += size;
    if (n.kind === 'param' || n.kind === 'input') maxLeaf = Math.max(maxLeaf, size);
    // A leaf's initial value is drawn when the run starts (counted as random, the costliest).
    if (n.kind === 'param' || n.kind === 'input' || n.kind === 'const') t.operations += COST.init * size;
    if (!n.op) continue;
    const shapes = n.inputs.map((i) => graph.nodes[i].sizes);
    const ws = n.op.workspace?.(shapes, n.sizes, n.attrs) ?? {};
    saved += ws.saved ?? 0;
    t.elements += ws.saved ?? 0;
    if ((ws.scratch ?? 0) > scratch) {
      scratch = ws.scratch ?? 0;
      scratchAt = t;
    }
    // Forward nodes run once forward; backward-block nodes once in the backward pass.
    t.operations += COST.node + forwardCost(n.op, shapes, n.sizes, n.attrs);
    if (inOrder.has(n.id)) forwardValues += size + (ws.saved ?? 0);
    if (n.requiresGrad) {
      const op = n.op;
      const needs = n.inputs.map((i, j) => graph.nodes[i].requiresGrad && !isLabelArgument(op, j));
      t.operations += COST.node + backwardCost(op, shapes, n.sizes, n.attrs, needs);
      n.inputs.forEach((i, j) => {
        if (needs[j]) edges[i]++;
      });
    }
  }
  for (const gc of graph.gateCalls) if (gc.backward) gc.inputNodes.forEach((i) => edges[i]++);
  let grads = 0;
  for (const n of graph.nodes) {
    if (!n.requiresGrad && n.id !== graph.root) continue;
    const k = Math.max(1, edges[n.id]);
    const size = elementsOf(n.sizes);
    grads += (2 * k - 1) * size;
    tallies[n.id].elements += (2 * k - 1) * size;
    // Each sum past the first edge adds two gradients entry by entry.
    tallies[n.id].operations += (k - 1) * COST.entry * size;
  }
  if (scratchAt) scratchAt.elements += scratch;
  // Every node's bookkeeping, whatever its size (NODE_BYTES), and its lowering and results (COST.graphNode).
  const bookkeeping = graph.nodes.length * NODE_ELEMENTS;
  const elements = values + grads + saved + scratch + bookkeeping;
  // Statistics of every value and gradient for the views: two passes each.
  const operations = tallies.reduce((a, t) => a + t.operations, 0) + 2 * COST.entry * (values + grads) + graph.nodes.length * COST.graphNode;
  const heaviest = (key: 'elements' | 'operations') => tallies.reduce((a, b) => (b[key] > a[key] ? b : a));
  if (elements > maxElements) {
    const t = heaviest('elements');
    sink.error(
      'too-large',
      `running this file needs about ${limitText(Math.ceil(elements))} float64 elements (values ${limitText(values)}, gradients ${limitText(grads)}, kept for the backward pass ${limitText(Math.ceil(saved))}, ` +
        `working memory ${limitText(Math.ceil(scratch))}, the graph's ${limitText(graph.nodes.length)} nodes ${limitText(bookkeeping)}), over the limit of ${limitText(maxElements)} (${maxElementsSource(options)}); ` +
        `the most is held here: this ${describe(t.node)} (${limitText(Math.ceil(t.elements))}). Lower the dimension sizes.`,
      t.node.span,
    );
    return null;
  }
  if (operations > maxOps) {
    const t = heaviest('operations');
    sink.error(
      'too-large',
      `one forward and backward pass would take about ${formatNumber(operations)} operations (≈ ${seconds(operations)}), over the limit of ${formatNumber(maxOps)} (≈ ${seconds(maxOps)}); ` +
        `the costliest is this ${describe(t.node)} (${formatNumber(t.operations)}, ≈ ${seconds(t.operations)}). Lower the dimension sizes${t.node.op?.signature.some((p) => p.name === 'size') ? ' or the window size' : ''}.`,
      t.node.span,
    );
    return null;
  }
  // While a check re-runs its region, the run's values stay; beside them the current evaluation's
  // copy of the forward values and what they keep, and earlier evaluations' copies, which V8 frees
  // lazily (their buffers still count as held while the next evaluations run), the perturbed
  // tensor's copy, the kink sides, and a batch.
  // Fast mode (checks/fastCheck.ts) adds a direction and a perturbed copy of the largest tensor.
  const gc = typeof options.gradcheck === 'object' ? options.gradcheck : {};
  const fast = gc.fast ?? DEFAULT_GRADCHECK_OPTIONS.fast;
  const projections = fast === 'on' || (fast === 'auto' && maxLeaf > (gc.fullLimit ?? DEFAULT_GRADCHECK_OPTIONS.fullLimit)) ? 2 * maxLeaf : 0;
  const fixed = forwardValues * REGION_COPIES + maxLeaf + projections;
  const batchElements = Math.max(0, Math.min(BATCHED_CHECK_ELEMENTS, maxElements - elements - fixed));
  return { elements, checkElements: fixed + batchElements, operations, checksFit: elements + fixed <= maxElements, batchElements };
}

function describe(n: GraphNode): string {
  const shape = formatShape(n.type.shape);
  return n.op ? `\`${n.label}\` → ${shape}` : `${n.kind} \`${n.label}\` ${shape}`;
}

/** Cost units as the time they stand for (one unit ≈ 1 ns). */
function seconds(units: number): string {
  const s = units / 1e9;
  return s < 1 ? `${formatNumber(s * 1000, { digits: 2 })} ms` : `${formatNumber(s, { digits: 2 })} s`;
}
