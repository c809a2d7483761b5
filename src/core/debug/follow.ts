// What the dashboard needs to follow the debugger at a stop, in the ids of its graph's boxes: the
// box being run, the boxes with a value so far, with a gradient so far, and those whose backward
// step has run (the gradients on the edges into them are computed).
import { MAX_VIEW_NODES, viewIdsOf } from '../graphView';
import type { TraceState } from './state';
import type { Trace, TracePhase, TraceStop } from './types';

export interface DebugFollow {
  phase: TracePhase;
  /** The box of the stop's node (null when it is not drawn). */
  current: string | null;
  /** 0-based line of the innermost frame. */
  line: number;
  values: string[];
  grads: string[];
  done: string[];
}

const viewIdCache = new WeakMap<Trace, { viewId: (id: number) => string | null; backwardEvent: Int32Array }>();

export function debugFollowState(trace: Trace, state: TraceState, stop: TraceStop): DebugFollow {
  const graph = trace.graph;
  let cached = viewIdCache.get(trace);
  if (!cached) {
    const backwardEvent = new Int32Array(graph.nodes.length).fill(-1);
    trace.events.forEach((e, i) => e.kind === 'backward' && (backwardEvent[e.node] = i));
    cached = { viewId: viewIdsOf(graph), backwardEvent };
    viewIdCache.set(trace, cached);
  }
  const { viewId, backwardEvent } = cached;
  const line = stop.frames[stop.frames.length - 1].line;
  const follow: DebugFollow = { phase: stop.phase, current: null, line, values: [], grads: [], done: [] };
  if (graph.order.length > MAX_VIEW_NODES) return follow; // the dashboard does not draw it
  // A node inside a gate call is shown as its call's box.
  follow.current = viewId(stop.node);
  const ran = (id: number) => backwardEvent[id] >= 0 && backwardEvent[id] < state.position;
  const values = new Set<string>();
  const grads = new Set<string>();
  const done = new Set<string>();
  for (const id of graph.order) {
    const vid = viewId(id);
    if (vid === null) continue;
    const gate = vid.startsWith('g') ? graph.gateCalls[Number(vid.slice(1))] : null;
    // The box's own value: the node itself, or the gate call's output.
    const own = gate ? gate.outputNode === id : vid === `n${id}`;
    if (!own) continue;
    if (state.values[id]) values.add(vid);
    if (state.grads[id]) grads.add(vid);
    const inputs = gate ? gate.inputNodes.filter((i) => backwardEvent[i] >= 0) : [id];
    if (inputs.length && inputs.every(ran)) done.add(vid);
  }
  follow.values = [...values];
  follow.grads = [...grads];
  follow.done = [...done];
  return follow;
}
