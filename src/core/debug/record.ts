// Records one run for the debugger: the static analysis (errors refuse the launch with the first
// one), the budget (every value and every partial gradient is kept, so a step back is exact), then
// the forward and backward passes walked once, each step becoming an event with the tensors it
// wrote. The tensors are kept by reference: the engine never writes into a tensor it handed out.
import { analyzeSession, DEFAULT_MAX_ELEMENTS } from '../analyze';
import { DiagnosticSink } from '../diagnostics';
import type { Graph } from '../engine/graph';
import { NonFiniteWatch } from '../engine/nonFinite';
import { Execution, type Step } from '../engine/run';
import { planRun } from '../pipeline/plan';
import type { Tensor } from '../tensor/tensor';
import { runExceptions } from './exceptions';
import { Locator } from './locate';
import { buildStops, stopLines } from './stops';
import type { TensorWrite, Trace, TraceEvent } from './types';

export interface RecordOptions {
  fileName?: string;
  seed?: number;
  dims?: Record<string, number>;
  /** Most tensor elements the trace may hold (default: the analysis' limit). */
  maxElements?: number;
  maxFlops?: number;
}

export type RecordResult = { ok: true; trace: Trace } | { ok: false; message: string };

export function recordTrace(text: string, options: RecordOptions = {}): RecordResult {
  const fileName = options.fileName ?? '<memory>';
  const session = analyzeSession(text, { fileName, seed: options.seed, dims: options.dims, staticOnly: true });
  const errors = session.analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    return { ok: false, message: `${fileName} has errors to fix before it can run${more}: line ${first.range.start.line + 1}: ${first.message}` };
  }
  const graph = session.graph;
  const inits = session.leafInits;
  if (!graph || !inits || graph.order.length === 0) return { ok: false, message: `${fileName} has nothing to run: declare an input or a param and assign a result` };
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const sink = new DiagnosticSink();
  const plan = planRun(graph, { maxElements, maxFlops: options.maxFlops }, sink);
  if (!plan) return { ok: false, message: sink.items[0]?.message ?? 'the run is over the limits' };
  // Every partial gradient is kept, beside what the run itself holds (what ops save, workspaces).
  const elements = Math.max(traceElements(graph), Math.ceil(plan.elements));
  if (elements > maxElements) {
    return {
      ok: false,
      message: `debugging this file would record about ${elements.toLocaleString('en-US')} tensor elements (every value and every partial gradient is kept, so a step back is exact), over the limit of ${maxElements.toLocaleString('en-US')}; lower the dimension sizes ("dims" in the launch configuration)`,
    };
  }
  for (const [id, init] of inits) graph.nodes[id].init = init();
  const execution = new Execution(graph, session.analysis.seed);
  const events = walk(graph, execution);
  const locator = new Locator(graph, session.program.statements, session.lineMap);
  const stops = buildStops(events, graph, locator);
  const trace: Trace = {
    text,
    fileName,
    seed: session.analysis.seed,
    dims: session.analysis.dims,
    session,
    graph,
    execution,
    lineMap: session.lineMap,
    events,
    stops,
    exceptions: [],
    stopLines: stopLines(stops),
    elements,
  };
  trace.exceptions = runExceptions(trace);
  return { ok: true, trace };
}

/** What the trace will hold: every node's value, and per gradient-carrying node one tensor per contribution. */
function traceElements(graph: Graph): number {
  const uses = new Array<number>(graph.nodes.length).fill(0);
  for (const n of graph.nodes) for (const i of n.inputs) uses[i]++;
  let total = 0;
  for (const n of graph.nodes) {
    const size = n.sizes.reduce((a, b) => a * b, 1);
    total += size * (1 + (n.requiresGrad || n.kind === 'dout' ? Math.max(1, uses[n.id]) : 0));
  }
  return total;
}

/** Both passes, step by step; the backward pass only after a forward pass without run-time errors. */
function walk(graph: Graph, ex: Execution): TraceEvent[] {
  const events: TraceEvent[] = [];
  const values: (Tensor | null)[] = new Array<Tensor | null>(graph.nodes.length).fill(null);
  const grads: (Tensor | null)[] = new Array<Tensor | null>(graph.nodes.length).fill(null);
  const write = (writes: TensorWrite[], grad: boolean, node: number) => {
    const mirror = grad ? grads : values;
    const after = (grad ? ex.grads : ex.values)[node] ?? null;
    if (after === mirror[node]) return;
    writes.push({ grad, node, before: mirror[node], after });
    mirror[node] = after;
  };
  let failed = false;
  for (const step of ex.forwardSteps({}, new NonFiniteWatch(graph, ex.values))) {
    events.push(eventOf(step, (w) => write(w, false, step.node)));
    if (step.issues.some((i) => i.kind === 'error')) failed = true;
  }
  const root = graph.root;
  if (failed || root === null) return events;
  for (const step of ex.backwardSteps(root, new NonFiniteWatch(graph, ex.values))) {
    events.push(
      eventOf(step, (w) => {
        if (step.phase === 'backward-block') {
          // The block's first line also received d<out>.
          const bw = graph.gateCalls[step.gateCall].backward;
          if (bw) write(w, false, bw.doutNode);
          write(w, false, step.node);
          return;
        }
        write(w, true, root); // the seed gradient, with the first step
        for (const s of step.phase === 'backward' ? step.sent : []) write(w, true, s.input);
      }),
    );
  }
  return events;
}

function eventOf(step: Step, record: (writes: TensorWrite[]) => void): TraceEvent {
  const writes: TensorWrite[] = [];
  record(writes);
  if (step.phase === 'backward') return { kind: 'backward', node: step.node, writes, upstream: step.upstream, sent: step.sent, issues: step.issues };
  return { kind: step.phase, node: step.node, writes, upstream: null, sent: [], issues: step.issues };
}
