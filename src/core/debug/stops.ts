// The stops of a recorded run. Forward: after the last step of each line — a top-level statement
// (its gate calls included), and, one level deeper, each line of a gate body a call runs. Backward:
// after each node's backward step (a gate call is one node of its caller's line; stepping into it
// walks its body's nodes or its backward block's lines), except the markers a gate call's inputs
// pass through. The last stop also holds the steps after it, so every leaf's final gradient is
// visible there.
import type { Graph } from '../engine/graph';
import type { Locator } from './locate';
import type { TraceEvent, TraceFrame, TraceStop } from './types';

function sameFrames(a: TraceFrame[], b: TraceFrame[], depth: number): boolean {
  if (a.length <= depth || b.length <= depth) return false;
  for (let i = 0; i <= depth; i++) if (a[i].key !== b[i].key) return false;
  return true;
}

/** Whether a backward step of node `id` is a stop: every op but the markers a gate's inputs pass through. */
function backwardStopsAt(graph: Graph, id: number): boolean {
  const n = graph.nodes[id];
  if (!n.op?.marker) return true;
  if (n.gateCall === null) return n.name !== null; // `a = b`: the user's statement
  return graph.gateCalls[n.gateCall].outputNode === id; // the call itself, not its inputs
}

export function buildStops(events: TraceEvent[], graph: Graph, locator: Locator): TraceStop[] {
  const stops: TraceStop[] = [];
  const chains = events.map((e) => locator.chain(e.node));
  const add = (event: number, frames: TraceFrame[]) => {
    const e = events[event];
    stops.push({ index: stops.length, phase: e.kind === 'forward' ? 'forward' : 'backward', event, position: event + 1, node: e.node, frames });
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const chain = chains[i];
    if (e.kind === 'backward') {
      if (backwardStopsAt(graph, e.node)) add(i, chain);
      continue;
    }
    // A line ends where the next step runs elsewhere at that depth (or in the other pass). A
    // backward block's lines are one level deep: its caller's line stops at the call's own step.
    const next = i + 1 < events.length && events[i + 1].kind === e.kind ? chains[i + 1] : [];
    const top = e.kind === 'backward-block' ? chain.length - 1 : 0;
    for (let depth = chain.length - 1; depth >= top; depth--) {
      if (!sameFrames(chain, next, depth)) add(i, chain.slice(0, depth + 1));
    }
  }
  if (stops.length) stops[stops.length - 1].position = events.length;
  return stops;
}

/** The lines where stops are, sorted: where breakpoints can be set. */
export function stopLines(stops: TraceStop[]): number[] {
  return [...new Set(stops.map((s) => s.frames[s.frames.length - 1].line))].sort((a, b) => a - b);
}
