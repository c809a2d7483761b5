// The Analysis: one plain, serialisable object holding everything the core found about a file.
// It is the only thing that crosses from the worker to the extension, and from there to the
// webview; the CLI prints it.
import type { Diagnostic } from './diagnostics';
import type { Range } from './text';

export interface TensorStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** L2 norm. */
  norm: number;
  /** Fraction of entries that are exactly 0. */
  zeros: number;
  /** Number of NaN/Inf entries. */
  nonFinite: number;
  /** Counts in 16 equal bins between min and max (for sparklines and histograms). */
  histogram: number[];
}

export type NodeKindOut = 'input' | 'param' | 'const' | 'node';

/**
 * A tensor's entries in an Analysis: a Float64Array as the core makes them (a copy: it moves between
 * threads as one block, where a number[] of the same entries costs a clone per element), plain
 * numbers once the analysis went through JSON (the language server's responses: jsonSafeAnalysis).
 */
export type TensorValues = Float64Array | number[];

export interface NodeResult {
  name: string;
  kind: NodeKindOut;
  /** Concrete shape. */
  shape: number[];
  /** Symbolic shape, e.g. ["N", "H"]. */
  dims: string[];
  isInt: boolean;
  /** Range of the name where it is declared or assigned. */
  range: Range;
  /** Range of the whole statement. */
  statementRange: Range;
  /** Whether the shape was written in the source (`: [N, D]`) or inferred. */
  shapeWritten: boolean;
  /** Flattened row-major (a copy); null if the forward pass did not reach it. */
  value: TensorValues | null;
  /** Flattened row-major (a copy); null where no gradient flows (int inputs, consts, unused tensors). */
  grad: TensorValues | null;
  valueStats: TensorStats | null;
  gradStats: TensorStats | null;
  /** True when value/grad were left out for size (maxValuesPerNode); the stats are still there. */
  truncated: boolean;
  /** Series the node's op published (e.g. rnn `timestepGradNorms`). */
  records?: Record<string, number[]>;
}

export interface GradCheckEntry {
  index: number[];
  analytic: number;
  numeric: number;
  absError: number;
  relError: number;
  kinkCrossed: boolean;
  /**
   * Round-off bound of the central difference at this entry, 10·ε·(|f(x+h)| + |f(x−h)|)/(2h):
   * a smaller |analytic − numeric| is agreement, however large the relative error of two tiny numbers.
   */
  roundOff: number;
  /** The kink or step the perturbation crossed (when `kinkCrossed`): the first one met in forward order. */
  kink?: KinkCrossing;
  /**
   * Present when the entry was confirmed at more steps (it would otherwise have warned or
   * failed): its error budget and what its disagreement at h turned out to be.
   */
  budget?: ErrorBudget;
}

export interface KinkCrossing {
  /** The op as written: `>`, `sign`, `relu`, `max`. */
  op: string;
  /** The element of the op's output whose side changed. */
  index: number[];
  /** Where the op is written (absent when it could not be located). */
  range?: Range;
  /** The op's position among the nodes the check re-evaluated (how `range` is found again after a cached check). */
  at: number;
}

/**
 * What a disagreement at the step h is made of, from central differences at h/4, h and 4h: the
 * truncation error (falls like h²) and the round-off (grows like 1/h) of the difference at h, and
 * how far the analytic value is from the Richardson extrapolation of the differences.
 */
export interface ErrorBudget {
  /** The extra steps tried (h/4, 4h; fewer when a step crossed a kink). */
  steps: number[];
  /** The central differences at those steps. */
  numerics: number[];
  /** The confirmed numeric estimate: the Richardson extrapolation, free of the h² term. */
  estimate: number;
  /** Relative error of the analytic value against the estimate: what the thresholds judge. */
  relError: number;
  /** Estimated truncation error of the difference at h, |D(h) − estimate|. */
  truncation: number;
  /** Estimated round-off of the difference at h. */
  roundOff: number;
  /** Uncertainty of the estimate itself: its round-off plus the spread of two extrapolations. */
  uncertainty: number;
  /** truncation or round-off: the disagreement at h is explained by them (pass); genuine: it is stable across steps. */
  cause: 'truncation' | 'round-off' | 'genuine';
}

export type Verdict = 'pass' | 'ok-if-kinked' | 'warn' | 'fail';

export interface GradCheckResult {
  target: string;
  maxRelError: number;
  verdict: Verdict;
  checked: number;
  failing: number;
  h: number;
  worst: GradCheckEntry[];
  range: Range;
  /**
   * Set when the check could not run and fails for that reason (the gate's backward block has an
   * error): why, in a few words. No entry was compared, so `maxRelError` and the counts mean nothing.
   */
  notRun?: string;
  /**
   * Fast mode (checks/fastCheck.ts): the check compared directional derivatives vᵀJu on a random
   * unit direction; `relError` is the whole tensor's projection's, `projections` how many were
   * measured (more than one when a failing projection was narrowed to its worst entries), and
   * `kinkCrossed` that it crossed a kink and the entries were checked instead.
   */
  fast?: { projections: number; relError: number; kinkCrossed: boolean };
}

export interface Timings {
  parseMs: number;
  analyzeMs: number;
  runMs: number;
  totalMs: number;
}

/** A name inside a gate (an input, an intermediate, the output, d<out>, a backward name). */
export interface GateLocal {
  name: string;
  /** Where it is declared or assigned. */
  range: Range;
  /** Symbolic shape at the gate's declared dimensions. */
  dims: string[];
  /** Whether the shape was written by the user (gate inputs and output) or inferred. */
  shapeWritten: boolean;
  role: 'input' | 'intermediate' | 'output' | 'upstream' | 'backward';
  /** Statistics at the gate's first call, when it ran. */
  valueStats: TensorStats | null;
  gradStats: TensorStats | null;
  shape: number[] | null;
}

export interface GateSummary {
  name: string;
  range: Range;
  headerRange: Range;
  /** Range of the `backward { … }` block, if any. */
  backwardRange: Range | null;
  inputs: string[];
  output: string;
  /** Calls of the gate in the file. */
  calls: number;
  locals: GateLocal[];
}

export interface SweepPoint {
  h: number;
  numeric: number;
  relError: number;
}

/** Relative error against the finite-difference step for one entry (the h-sweep chart). */
export interface StepSweep {
  target: string;
  index: number[];
  analytic: number;
  points: SweepPoint[];
}

export interface Analysis {
  version: 1;
  file: string;
  dims: Record<string, number>;
  seed: number;
  /** Name of the backward root, or null when there is none. */
  root: string | null;
  diagnostics: Diagnostic[];
  nodes: NodeResult[];
  gradchecks: GradCheckResult[];
  gates: GateSummary[];
  /** The computational graph as the dashboard draws it (null when nothing was built). */
  graphView: GraphViewModel | null;
  /** The h sweep of the worst entry of the worst parameter check (when checks ran). */
  sweep: StepSweep | null;
  /** The gradient-health findings (also diagnostics), with what the dashboard lists: absent until the backward pass ran. */
  health?: HealthItem[];
  timings: Timings;
  /** Set when the run was stopped by its cancel callback: the rest of the object is incomplete. */
  cancelled?: true;
  /**
   * Set on the early snapshots `onPhase` hands out while the run goes on: 'shapes' (diagnostics and
   * shapes, no values yet), 'values' (values and gradients, the gradient checks still running).
   * Absent on the finished Analysis.
   */
  phase?: AnalysisPhase;
}

/** A gradient-health finding as the dashboard lists it (its diagnostic carries the same message). */
/** The kinds of gradient-health finding (each is also a diagnostic code). */
export type HealthKind = 'dead-relu' | 'saturated' | 'vanishing-gradient' | 'exploding-gradient' | 'init-scale' | 'attention-collapse' | 'lstm-gate-saturated' | 'constant-norm-input';

export interface HealthItem {
  kind: HealthKind;
  severity: 'warning' | 'info';
  message: string;
  /** The expression the finding is about. */
  range: Range;
  /** The name of the value, when it has one (`h1`), else the op as written (`relu`). */
  node: string;
  /** The measured figure: a fraction of units, a norm ratio. */
  value: number;
  /** For dead-relu: the dead units, by index within one example (the first 256), and how many there are. */
  deadUnits?: { indices: number[][]; dead: number; units: number; unitShape: number[] };
}

/** How far an early snapshot of an analysis got (see `Analysis.phase`). */
export type AnalysisPhase = 'shapes' | 'values';

/** The result of "Plot Loss Landscape": L(θ + a·d1 + b·d2) on a grid (filter-normalised directions). */
export interface LandscapeResult {
  /** Grid coordinates along d1 (columns) and d2 (rows). */
  alphas: number[];
  betas: number[];
  /** losses[row][col] = L at (alphas[col], betas[row]); NaN where the loss was not finite. */
  losses: number[][];
  /** Loss at the centre (the current parameters). */
  center: number;
  /** Parameters the directions perturb. */
  params: string[];
  ms: number;
}

/** The result (or progress) of "Train (SGD)". */
export interface TrainingResult {
  steps: number;
  lr: number;
  momentum: number;
  /** Loss before each step. */
  losses: number[];
  /** Per parameter: gradient norm at each step. */
  gradNorms: Record<string, number[]>;
  /** Per parameter: ‖update‖/‖value‖ at each step (healthy near 1e-3). */
  updateRatios: Record<string, number[]>;
  ms: number;
}

// The computational graph as the dashboard draws it (built by graphView.ts).

export type ViewNodeKind = 'input' | 'param' | 'const' | 'literal' | 'op' | 'gate';
export type ViewStatus = 'ok' | 'warning' | 'error';

export interface ViewNode {
  id: string;
  kind: ViewNodeKind;
  /** What the box shows: an operator, a function or gate name, a leaf's name, a literal. */
  label: string;
  /** The user's name for the value, if any (`q`, `h1`). */
  name: string | null;
  dims: string[];
  shape: number[];
  /** The value for scalars; null for tensors (see valueStats). */
  value: number | null;
  grad: number | null;
  valueStats: TensorStats | null;
  gradStats: TensorStats | null;
  range: Range;
  status: ViewStatus;
  /** Why it is highlighted: the first error or warning on it. */
  problem: string | null;
  isRoot: boolean;
  /** A recurrent op's time steps (the graph unrolls the op into them on request). */
  steps?: ViewSteps;
}

/**
 * A recurrent op's steps as norms, one entry per time step t = 0 … count−1 (null: not computed, the
 * forward or backward pass did not get there). What the graph draws when it unrolls the op.
 */
export interface ViewSteps {
  /** One step written out, e.g. `h_t = tanh(x_t Wx + h_{t−1} Wh + b)`. */
  formula: string;
  /** Number of time steps (T). */
  count: number;
  /** Which of the op's inputs is the sequence (its slice x_t enters step t). */
  sequenceInput: number;
  /** Which inputs are initial states (they enter step 0); the rest are weights every step shares. */
  stateInputs: number[];
  /** ‖h_t‖. */
  valueNorms: number[] | null;
  /** ‖∂L/∂h_t‖: what reaches h_t, from the loss directly and back through the later steps. */
  gradNorms: number[] | null;
  /** ‖∂L/∂hs[t]‖: the part of it that comes directly from the op's output (not through step t+1). */
  outputGradNorms: number[] | null;
  /** ‖x_t‖. */
  inputNorms: number[] | null;
  /** ‖∂L/∂x_t‖. */
  inputGradNorms: number[] | null;
  /** ‖∂L/∂h_{t−1}‖ through step t: what step t sends back along the recurrence (t = 0: into the initial state). */
  carriedGradNorms: number[] | null;
}

/**
 * The inside of a gate call: what the call's box stands for, drawn in its place when the user opens
 * it. Nested calls inside it are boxes of their own, with their own insides.
 */
export interface ViewGate {
  /** The id of the call's box (`g<call>`), in the graph or in the inside of the enclosing call. */
  id: string;
  /**
   * The call's identity across re-analyses of the same file (the graph keeps it open by this key):
   * the gate's name and the call's ordinal among the calls of that gate in the same body,
   * `cell#0`; a nested call is prefixed with its enclosing call's key, `outer#0/cell#1`.
   */
  key: string;
  /** The box of the enclosing call (null: the call is a statement of the file). */
  parent: string | null;
  /** The gate's name. */
  label: string;
  /** Its forward body: one node per input (named by the gate's parameter), the body's operations, the output. */
  nodes: ViewNode[];
  /** Edges between those nodes (and from the file's leaves a body reads). */
  edges: ViewEdge[];
  /** Per gate input (in the order of the call's arguments), the inside node it enters. */
  inputs: string[];
  /** The inside node whose value the call returns. */
  output: string;
}

export interface ViewEdge {
  from: string;
  to: string;
  /** Forward value (scalars) or its norm (tensors). */
  value: number | null;
  valueNorm: number | null;
  /** The gradient that came back along this edge (scalars), or its norm. */
  grad: number | null;
  gradNorm: number | null;
  dims: string[];
  /** Which input of the consumer the edge enters (its argument position; a gate call's parameter). */
  input?: number;
}

export interface GraphViewModel {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** The inside of every gate call (each call is one box in `nodes`, or in its enclosing call's inside). */
  gates?: ViewGate[];
  /** Set when the graph is too large to draw (the nodes and edges are then empty). */
  omitted?: string;
}
