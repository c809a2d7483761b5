// What a frame of a stop holds, as a debugger shows it: the names defined so far (Locals), the
// gradients computed so far (Gradients, as `d<name>`), the params (the gate's inputs in a gate
// frame), and at a backward stop the step itself — the gradient that arrived (`dout`), the local
// gradient when it is a number, and what went to each input. The evaluator binds the same names.
import type { GraphNode } from '../engine/graph';
import type { ValueType } from '../ops/op';
import type { Tensor } from '../tensor/tensor';
import type { TraceState } from './state';
import type { Trace, TraceStop } from './types';

export interface FrameEntry {
  name: string;
  node: number;
  type: ValueType;
  value: Tensor;
  /** The gradient computed so far for this name (null: none yet, or none flows). */
  grad: Tensor | null;
}

export interface StepView {
  /** The op (or gate) that ran, and how it routes gradients. */
  label: string;
  rule: string;
  upstream: Tensor;
  /** d(out)/d(input) when output and input are single numbers. */
  local: { input: string; value: number }[];
  sent: { input: string; node: number; grad: Tensor }[];
}

export interface FrameView {
  locals: FrameEntry[];
  gradients: FrameEntry[];
  parameters: FrameEntry[];
  step: StepView | null;
  /** Names an expression in this frame can use: every entry, `d<name>` for the gradients, `dout` at a backward stop. */
  bindings: Map<string, { value: Tensor; type: ValueType }>;
  /** Names of this frame that have no value yet (an expression using one is told so). */
  pending: Set<string>;
}

export function nodeName(n: GraphNode): string {
  return n.name ?? n.label;
}

/** The frame at `depth` (0: the statement) of a stop, in the state of that stop. */
export function frameView(trace: Trace, state: TraceState, stop: TraceStop, depth: number): FrameView {
  const frame = stop.frames[depth];
  const graph = trace.graph;
  const gc = frame.gateCall !== null ? graph.gateCalls[frame.gateCall] : null;
  const names: [string, number][] = gc ? [...gc.names] : [...graph.named];
  names.sort((a, b) => a[1] - b[1]);
  const view: FrameView = { locals: [], gradients: [], parameters: [], step: null, bindings: new Map(), pending: new Set() };
  for (const [name, id] of names) {
    const value = state.values[id];
    if (!value) {
      view.pending.add(name);
      continue;
    }
    const n = graph.nodes[id];
    const entry: FrameEntry = { name, node: id, type: n.type, value, grad: state.grads[id] };
    const isParam = gc ? gc.inputNodes.includes(id) : n.kind === 'param';
    (isParam ? view.parameters : view.locals).push(entry);
    view.bindings.set(name, { value, type: n.type });
    if (entry.grad) view.gradients.push({ ...entry, name: `d${name}`, value: entry.grad });
  }
  const innermost = depth === stop.frames.length - 1;
  const event = trace.events[stop.event];
  if (innermost && event.kind === 'backward' && event.upstream) view.step = stepView(trace, event.node, event.upstream, event.sent);
  // d<name> and dout only where the program has no such name; a gradient not computed yet is pending.
  for (const g of view.gradients) if (!view.bindings.has(g.name) && !view.pending.has(g.name)) view.bindings.set(g.name, { value: g.value, type: g.type });
  for (const [name] of names) if (!view.bindings.has(`d${name}`)) view.pending.add(`d${name}`);
  if (view.step && !view.bindings.has('dout') && !view.pending.has('dout')) view.bindings.set('dout', { value: view.step.upstream, type: graph.nodes[stop.node].type });
  return view;
}

function stepView(trace: Trace, id: number, upstream: Tensor, sent: { input: number; index: number; grad: Tensor }[]): StepView {
  const graph = trace.graph;
  const n = graph.nodes[id];
  const gc = n.gateCall !== null ? graph.gateCalls[n.gateCall] : null;
  const isCall = gc !== null && gc.outputNode === id;
  // A gate call sends to its inputs' markers: name them as the caller does.
  const inputName = (node: number, index: number) => (isCall && gc ? describe(graph.nodes[gc.outerInputs[index]]) : describe(graph.nodes[node]));
  const out = sent.map((s) => ({ input: `d${inputName(s.input, s.index)}`, node: s.input, grad: s.grad }));
  const scalar = upstream.size === 1 && upstream.data[0] !== 0;
  const local = scalar ? sent.filter((s) => s.grad.size === 1).map((s) => ({ input: inputName(s.input, s.index), value: s.grad.data[0] / upstream.data[0] })) : [];
  return {
    label: isCall && gc ? gc.gate.decl.name : n.label,
    rule: isCall && gc ? (gc.backward ? 'its backward block' : 'its body, differentiated automatically') : (n.op?.explain ?? ''),
    upstream,
    local,
    sent: out,
  };
}

/** A node as the program names it: its name, or its expression's operator. */
function describe(n: GraphNode): string {
  return n.name ?? `(${n.label})`;
}
