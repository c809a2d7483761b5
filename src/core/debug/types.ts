// The recorded run the debugger walks: every step of the forward and backward passes as an event
// (the tensors it wrote, by reference — the engine never mutates a tensor in place), and the stops
// a debugger can be at, each with its call stack of statement and gate frames. Protocol-free: the
// debug adapter (src/debug) turns these into DAP, tests read them directly.
import type { AnalysisSession } from '../pipeline/session';
import type { Graph } from '../engine/graph';
import type { Execution, RunIssue, SentGradient } from '../engine/run';
import type { Tensor } from '../tensor/tensor';
import type { LineMap, Span } from '../text';

export type TracePhase = 'forward' | 'backward';

/** One tensor slot a step wrote: a node's value or its gradient, from `before` to `after`. */
export interface TensorWrite {
  grad: boolean;
  node: number;
  before: Tensor | null;
  after: Tensor | null;
}

/** One step of the engine, as it was taken. */
export interface TraceEvent {
  /** 'backward-block': one line of a gate's hand-written backward block. */
  kind: 'forward' | 'backward' | 'backward-block';
  node: number;
  writes: TensorWrite[];
  /** Backward: the gradient that arrived at the node (null otherwise). */
  upstream: Tensor | null;
  /** Backward: what the node sent to each of its inputs. */
  sent: SentGradient[];
  issues: RunIssue[];
}

/** A frame of a stop's call stack: a top-level statement, or a line inside a gate call. */
export interface TraceFrame {
  kind: 'statement' | 'gate';
  /** 0-based line where the statement (or the gate's line) starts. */
  line: number;
  /** The statement's first line of source, trimmed. */
  text: string;
  span: Span;
  /** For a gate frame: the gate call (index into graph.gateCalls). */
  gateCall: number | null;
  /** Whether the gate line is in the backward block. */
  inBackward: boolean;
  /** Identifies the frame within a stack (statement index, or call and line). */
  key: string;
}

/** A place the debugger can stop: after the step that ends a statement (forward) or a node's backward step. */
export interface TraceStop {
  index: number;
  phase: TracePhase;
  /** The event that ends it. */
  event: number;
  /** How many events have been applied at this stop (event + 1; every event at the last stop). */
  position: number;
  /** That event's node. */
  node: number;
  /** Outermost first; the last frame is where the stop is. */
  frames: TraceFrame[];
}

export type ExceptionFilter = 'nonfinite' | 'gradcheck' | 'dead-relu';

/** Something the exception breakpoints stop on ('error': a run-time error, which always stops). */
export interface TraceException {
  filter: ExceptionFilter | 'error';
  /** The stop it belongs to. */
  stop: number;
  node: number;
  /** A short name (DAP's exceptionId / description). */
  title: string;
  /** What happened, with the numbers (the core's own diagnostic text). */
  message: string;
  /** How to fix it, when one is known. */
  fix: string | null;
}

export interface Trace {
  text: string;
  fileName: string;
  seed: number;
  dims: Record<string, number>;
  session: AnalysisSession;
  graph: Graph;
  /** The execution the passes ran on (its forward values stay; the gate checks re-run blocks on it). */
  execution: Execution;
  lineMap: LineMap;
  events: TraceEvent[];
  stops: TraceStop[];
  /** Non-finite values/gradients, run-time errors and dead relus, in stop order. */
  exceptions: TraceException[];
  /** Lines (0-based, sorted) where a stop's innermost frame is: where breakpoints can be. */
  stopLines: number[];
  /** Tensor elements the trace holds (values and every partial gradient). */
  elements: number;
}
