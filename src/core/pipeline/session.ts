// What the stages of one analysis share: the options they read and the session they fill in. Each
// stage (typecheck → build → plan → execute → checks → results) takes the session and adds its part.
import type { Analysis, AnalysisPhase } from '../model';
import type { CancelCheck } from '../cancel';
import type { MemoryProbe } from '../memoryGuard';
import type { CheckCache } from '../checks/checkCache';
import type { GradCheckOptions, SpanCheck } from '../checks/gradcheck';
import type { Graph } from '../engine/graph';
import type { InitRecipe } from '../engine/init';
import type { Execution } from '../engine/run';
import type { ResultPool } from '../tensor/results';
import type { Program } from '../lang/ast';
import type { Resolution } from '../lang/resolve';
import type { ValueType } from '../ops/op';
import { CORE_DEFAULTS } from '../defaults';
import { DiagnosticSink } from '../diagnostics';
import { LineMap } from '../text';

export interface AnalyzeOptions {
  /** File name reported in the Analysis. */
  fileName?: string;
  /** Overrides the file's `seed`. */
  seed?: number;
  /** Overrides dimension sizes. */
  dims?: Record<string, number>;
  /** Most tensor elements (values and gradients of every node) a run may hold. */
  maxElements?: number;
  /**
   * What sets `maxElements`, as the `too-large` messages name it with how far it can be raised
   * (default: `gradlens.maxElements` / `--max-elements` and its maximum). The editor names its
   * worker's memory setting when that is the tighter bound.
   */
  maxElementsSource?: string;
  /** Most floating-point operations one forward+backward may cost. */
  maxFlops?: number;
  /** Skip running (parse, names and shapes only). */
  staticOnly?: boolean;
  /** Stop after shape inference: no graph and no values, only the diagnostics (the cheapest pass). */
  shapesOnly?: boolean;
  /** Gradient checks: false to skip them, or settings (h, sample sizes). Default: on. */
  gradcheck?: boolean | Partial<GradCheckOptions>;
  /**
   * Tensors with more elements than this get statistics but no value/grad arrays in the Analysis
   * (the editor does not need 200,000 numbers per keystroke). Default: all values.
   */
  maxValuesPerNode?: number;
  /** Value and gradient entries the Analysis carries in all (default CORE_DEFAULTS.maxValuesPerAnalysis); later tensors keep statistics only. */
  maxValuesPerAnalysis?: number;
  /** Values for params instead of their initial values (checks after a few training steps). */
  paramValues?: Record<string, number[]>;
  /**
   * Gradient-check results kept from earlier analyses (the editor passes one per worker): checks
   * whose inputs did not change are not re-run. Results are identical with or without it.
   */
  checkCache?: CheckCache;
  /** Dead-unit thresholds of the health notes (settings gradlens.health.deadRelu.info / .warn). */
  deadRelu?: { info: number; warn: number };
  /** Asked between steps of long loops; when it answers true the run stops (`analysis.cancelled`). */
  isCancelled?: CancelCheck;
  /**
   * Early snapshots while the run goes on, so an editor can show shapes and values before the
   * gradient checks finish: 'shapes' once the graph is built and the run will go ahead, 'values'
   * once forward and backward ran (with every diagnostic so far). Each is a complete Analysis of its
   * own (a copy: the run goes on filling in the session's); the finished one is the return value.
   */
  onPhase?: (phase: AnalysisPhase, snapshot: Analysis) => void;
  /**
   * Measures what the thread holds while the run goes on (the CLI and the editor's worker pass
   * one): past the memory budget (maxElements float64s and a fixed margin) the run stops with a
   * `too-large` diagnostic. Without it only the plan bounds memory.
   */
  memory?: MemoryProbe;
  /**
   * Where the forward and backward passes take their results' buffers (newResultPool()): those of
   * the last analysis run with the same pool, instead of fresh ones — a net's values and gradients
   * reallocated, zeroed and collected at every keystroke are a fifth of its analysis. The caller
   * keeps nothing of an analysis' tensors once it starts the next (the editor's values lane copies
   * each result out to the server before it runs another).
   */
  resultPool?: ResultPool;
  /** Most nodes of the lowered graph (default CORE_DEFAULTS.maxNodes). */
  maxNodes?: number;
}

/** Everything the stages produced, for callers that need more than the Analysis (gradient checks). */
export interface AnalysisSession {
  analysis: Analysis;
  program: Program;
  resolution: Resolution | null;
  graph: Graph | null;
  /** The leaves' initial values, by node id, as recipes (built by `execute`; kept for a run started elsewhere: the debugger's). */
  leafInits: Map<number, InitRecipe> | null;
  execution: Execution | null;
  /** Gradient checks with their source spans (when they ran). */
  checks: SpanCheck[];
  /** Types of every gate's local names, at the gate's declared (symbolic) shapes. */
  gateTypes: Map<string, Map<string, ValueType>>;
  maxValuesPerNode?: number;
  maxValuesPerAnalysis?: number;
  lineMap: LineMap;
  sink: DiagnosticSink;
}

/** A new session of `text`: an empty Analysis, no stage run yet. */
export function newSession(text: string, options: AnalyzeOptions): AnalysisSession {
  return {
    analysis: emptyAnalysis(options),
    program: { statements: [] },
    resolution: null,
    graph: null,
    leafInits: null,
    execution: null,
    checks: [],
    gateTypes: new Map(),
    maxValuesPerNode: options.maxValuesPerNode,
    maxValuesPerAnalysis: options.maxValuesPerAnalysis ?? CORE_DEFAULTS.maxValuesPerAnalysis,
    lineMap: new LineMap(text),
    sink: new DiagnosticSink(CORE_DEFAULTS.maxDiagnostics),
  };
}

function emptyAnalysis(options: AnalyzeOptions): Analysis {
  return {
    version: 1,
    file: options.fileName ?? '<memory>',
    dims: {},
    seed: options.seed ?? 0,
    root: null,
    diagnostics: [],
    nodes: [],
    gradchecks: [],
    gates: [],
    graphView: null,
    sweep: null,
    timings: { parseMs: 0, analyzeMs: 0, runMs: 0, totalMs: 0 },
  };
}
