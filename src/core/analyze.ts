// The single entry point of the core: .grad text → Analysis. Each stage reads the previous
// stage's output: parse → resolve → shapes → graph → run → checks. Nothing here throws on bad
// input; an unexpected exception becomes an `internal-error` diagnostic.
import type { Analysis, GateLocal, GateSummary, NodeKindOut, NodeResult, StepSweep } from './analysis';
import { checkExpectShape, checkExpectValue } from './checks/expect';
import { checkActivations, checkGradientFlow, checkInits, reportHealth } from './checks/health';
import { checkStability } from './checks/stability';
import { AnalysisCancelled, throwIfCancelled, type CancelCheck } from './cancel';
import type { CheckCache } from './checks/checkCache';
import { CORE_DEFAULTS, NUMBER_SETTINGS } from './defaults';
import { analyticKey, checkGates, checkTensors, DEFAULT_GRADCHECK, stepSweep, type CheckMemo, type GateChecks, type GradCheckOptions, type SpanCheck, type TensorChecks, type Thresholds } from './checks/gradcheck';
import { Fingerprints } from './engine/fingerprint';
import { formatNumber } from './format/number';
import { buildGraphView } from './graphView';
import { ravel, Tensor } from './tensor/tensor';
import { DiagnosticSink, type Diagnostic, type SpanDiagnostic } from './diagnostics';
import type { Graph } from './engine/graph';
import { initialValue, literalValue } from './engine/init';
import { GraphBuilder } from './engine/lower';
import { Execution } from './engine/run';
import type { Assign, Expect, Program, TensorDecl } from './lang/ast';
import { parse } from './lang/parser';
import { resolve, type Resolution } from './lang/resolve';
import type { ValueType } from './ops/op';
import { checkGateDefinition } from './shapes/gates';
import { listLiteralShape, ShapeInference, typeFromAnn, type TypeEnv } from './shapes/infer';
import { formatShape, lit, named, type Dim } from './shapes/shape';
import { statsOf } from './stats';
import { LineMap, type Span } from './text';

export interface AnalyzeOptions {
  /** File name reported in the Analysis. */
  fileName?: string;
  /** Overrides the file's `seed`. */
  seed?: number;
  /** Overrides dimension sizes. */
  dims?: Record<string, number>;
  /** Most tensor elements (values and gradients of every node) a run may hold. */
  maxElements?: number;
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
  /** Values for params instead of their initial values (checks after a few training steps). */
  paramValues?: Record<string, number[]>;
  /**
   * Gradient-check results kept from earlier analyses (the editor passes one per worker): checks
   * whose inputs did not change are not re-run. Results are identical with or without it.
   */
  checkCache?: CheckCache;
  /** Asked between steps of long loops; when it answers true the run stops (`analysis.cancelled`). */
  isCancelled?: CancelCheck;
}

export const DEFAULT_MAX_ELEMENTS: number = NUMBER_SETTINGS.maxElements.default;
export const DEFAULT_MAX_FLOPS: number = CORE_DEFAULTS.maxFlops;

/** Everything the stages produced, for callers that need more than the Analysis (gradient checks). */
export interface AnalysisSession {
  analysis: Analysis;
  program: Program;
  resolution: Resolution | null;
  graph: Graph | null;
  execution: Execution | null;
  /** Gradient checks with their source spans (when they ran). */
  checks: SpanCheck[];
  /** Types of every gate's local names, at the gate's declared (symbolic) shapes. */
  gateTypes: Map<string, Map<string, ValueType>>;
  maxValuesPerNode?: number;
  lineMap: LineMap;
  sink: DiagnosticSink;
}

export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  return analyzeSession(text, options).analysis;
}

export function analyzeSession(text: string, options: AnalyzeOptions = {}): AnalysisSession {
  const t0 = performance.now();
  const lineMap = new LineMap(text);
  const sink = new DiagnosticSink();
  const session: AnalysisSession = {
    analysis: emptyAnalysis(options),
    program: { statements: [] },
    resolution: null,
    graph: null,
    execution: null,
    checks: [],
    gateTypes: new Map(),
    maxValuesPerNode: options.maxValuesPerNode,
    lineMap,
    sink,
  };
  const marks = { parsed: t0, analysed: t0 };
  try {
    session.program = parse(text, sink);
    marks.parsed = performance.now();
    marks.analysed = marks.parsed;
    runStages(session, options, marks);
  } catch (e) {
    if (e instanceof AnalysisCancelled) session.analysis.cancelled = true;
    else reportInternalError(e, sink);
  }
  const t1 = performance.now();
  const a = session.analysis;
  a.diagnostics = toDiagnostics(sink.items, lineMap);
  a.timings = { parseMs: marks.parsed - t0, analyzeMs: Math.max(0, marks.analysed - marks.parsed), runMs: Math.max(0, t1 - marks.analysed), totalMs: t1 - t0 };
  return session;
}

/** An exception from inside the core is a bug: it becomes a diagnostic, never an escape. */
function reportInternalError(e: unknown, sink: DiagnosticSink): void {
  const msg = e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(e);
  sink.error('internal-error', `GradLens hit an internal error while analysing this file: ${msg}`, { start: 0, end: 0 });
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

function runStages(session: AnalysisSession, options: AnalyzeOptions, marks: { analysed: number }): void {
  const { program, sink, analysis } = session;
  const res = resolve(program, { seed: options.seed, dims: options.dims }, sink);
  session.resolution = res;
  analysis.seed = res.seed;
  analysis.dims = Object.fromEntries([...res.dims].map(([k, v]) => [k, v.size]));

  checkStability(program, session.lineMap.text, sink);

  // Gate definitions, at their symbolic shapes.
  const declaredGates = new Set<string>();
  const gateTypes = new Map<string, Map<string, ValueType>>();
  for (const s of program.statements) {
    if (s.kind !== 'gate') continue;
    const info = res.gates.get(s.name);
    if (info && info.decl === s) {
      gateTypes.set(s.name, checkGateDefinition(info, res.gates, declaredGates, sink).types);
      declaredGates.add(s.name);
    }
  }
  session.gateTypes = gateTypes;

  // Top-level types, statement by statement.
  const types = new Map<string, ValueType>();
  const dimOf = (name: string): Dim | undefined => {
    const d = res.dims.get(name);
    return d ? named(name, d.size) : undefined;
  };
  const visibleGates = new Set<string>();
  const env: TypeEnv = { value: (n) => types.get(n), dim: dimOf, gates: res.gates, gateVisible: (n) => visibleGates.has(n) };
  const infer = new ShapeInference(env, sink);
  const declTypes = new Map<TensorDecl, ValueType>();
  for (const s of program.statements) {
    if (s.kind === 'gate' && res.gates.get(s.name)?.decl === s) visibleGates.add(s.name);
    if (s.kind === 'decl') {
      const t = declType(s, dimOf);
      if (t && !types.has(s.name)) {
        types.set(s.name, t);
        declTypes.set(s, t);
      }
    } else if (s.kind === 'assign') {
      const t = infer.infer(s.expr);
      if (t && !types.has(s.name)) types.set(s.name, t);
    } else if (s.kind === 'expect' && s.what === 'shape') {
      const t = types.get(s.target);
      if (t) checkExpectShape(s, t, (n) => res.dims.get(n)?.size, sink);
    }
  }

  const root = res.root;
  const rootType = root ? types.get(root.name) : undefined;
  if (!root) {
    const last = program.statements[program.statements.length - 1];
    sink.info('no-root', 'nothing to differentiate: add a statement `name = expression`; the last one is the backward root', last ? last.span : { start: 0, end: 0 });
  } else if (rootType && rootType.shape.length !== 0) {
    sink.error('root-not-scalar', `backward root must be a scalar: \`${root.name}\` is ${formatShape(rootType.shape)}; reduce it, e.g. \`sum(...)\`, or end with a loss`, root.nameSpan, {
      fixes: [{ title: `Wrap in sum(…)`, edits: [{ span: root.expr.span, newText: `sum(${sliceText(session, root.expr.span)})` }] }],
    });
  }
  analysis.root = root && rootType && rootType.shape.length === 0 ? root.name : null;
  if (options.shapesOnly) {
    marks.analysed = performance.now();
    return;
  }

  // The graph.
  const builder = new GraphBuilder(sink, res.gates, (g) => sink.hasErrorWithin(g.decl.span));
  for (const s of program.statements) {
    if (s.kind === 'decl') {
      const t = declTypes.get(s);
      if (!t) continue;
      const sizes = t.shape.map((d) => d.size ?? 0);
      if (!withinElementLimit(s, sizes, options, sink)) continue;
      const given = s.declKind === 'param' ? options.paramValues?.[s.name] : undefined;
      const init = given && given.length === elementsOf(sizes) ? new Tensor(sizes, Float64Array.from(given)) : initialValue(s, sizes, { seed: res.seed, dimSize: (n) => res.dims.get(n)?.size, sink });
      if (!init) continue;
      const kind = s.declKind;
      const requiresGrad = kind === 'param' || (kind === 'input' && !t.isInt);
      const id = builder.addLeaf(kind, s.name, t, s.span, init, requiresGrad);
      builder.named.set(s.name, id);
    } else if (s.kind === 'assign' && types.has(s.name) && !builder.named.has(s.name)) {
      builder.lowerAssign(s, infer, env);
    }
  }
  const rootId = analysis.root ? (builder.named.get(analysis.root) ?? null) : null;
  const graph = builder.graph(rootId);
  session.graph = graph;
  marks.analysed = performance.now();

  if (options.staticOnly || !withinRunLimits(graph, options, sink)) {
    analysis.nodes = nodeResults(session, null, types);
    analysis.gates = gateSummaries(session, null);
    analysis.graphView = buildGraphView(graph, null, toDiagnostics(sink.items, session.lineMap), [], session.lineMap);
    return;
  }

  // Forward, backward.
  const ex = new Execution(graph, res.seed);
  session.execution = ex;
  const cancelled = options.isCancelled;
  throwIfCancelled(cancelled);
  const issues = ex.forward({ detectNonFinite: true, cancelled });
  let canBackward = rootId !== null && !sink.hasErrors;
  for (const issue of issues) {
    const node = graph.nodes[issue.node];
    // Inside a gate: at the gate's line that did it, with the call it happened in.
    const related = node.gateCall !== null ? { related: [{ message: 'in this call of the gate', span: graph.gateCalls[node.gateCall].span }] } : undefined;
    sink.error(issue.kind === 'error' ? 'bad-argument' : 'non-finite', issue.message, node.span, related);
    canBackward = false; // gradients through NaN/Inf would only repeat the problem
  }
  if (canBackward && rootId !== null) {
    for (const issue of ex.backward(rootId, cancelled)) {
      const node = graph.nodes[issue.node];
      sink.error(issue.kind === 'non-finite' ? 'non-finite' : 'bad-argument', issue.message, node.span);
    }
    reportUnused(program, graph, ex, analysis.root as string, sink);
    reportHealth([...checkActivations(graph, ex), ...checkGradientFlow(graph, ex), ...checkInits(program, graph, session.lineMap.text)], sink);
  }

  // expect value / grad
  for (const s of program.statements) {
    if (s.kind === 'expect' && s.what !== 'shape') checkExpectRun(s, graph, ex, canBackward, sink);
  }
  // Before the gradient checks, which re-run backward blocks with random upstream gradients.
  analysis.gates = gateSummaries(session, ex);
  if (canBackward && options.gradcheck !== false) {
    const opts: GradCheckOptions = { ...DEFAULT_GRADCHECK, ...(typeof options.gradcheck === 'object' ? options.gradcheck : {}) };
    const spans = new Map<string, Span>();
    for (const s of program.statements) if (s.kind === 'decl') spans.set(s.name, s.nameSpan);
    const memo: CheckMemo | undefined = options.checkCache ? { cache: options.checkCache, fingerprints: new Fingerprints(graph) } : undefined;
    const ctx = { memo, cancelled };
    const tensors = checkTensors(graph, ex, res.seed, opts, spans, ctx);
    const gates = checkGates(graph, ex, res.seed, opts, ctx);
    const checks = [...gates.checks, ...tensors.checks];
    reportChecks(checks, graph, sink, opts.thresholds);
    reportSkipped(tensors, opts, sink);
    reportSkippedCalls(gates, opts, sink);
    session.checks = checks;
    analysis.gradchecks = checks.map(({ span, kind: _kind, gateCall: _gc, hasKinks: _k, ...rest }) => ({ ...rest, range: session.lineMap.range(span) }));
    throwIfCancelled(cancelled);
    analysis.sweep = defaultSweep(checks, graph, ex, memo);
  }
  analysis.nodes = nodeResults(session, ex, types);
  analysis.graphView = buildGraphView(graph, ex, toDiagnostics(sink.items, session.lineMap), analysis.gradchecks, session.lineMap);
}

/** The h sweep of the worst entry of the worst param/input check. */
function defaultSweep(checks: SpanCheck[], graph: Graph, ex: Execution, memo?: CheckMemo): StepSweep | null {
  const tensorChecks = checks.filter((c) => c.kind === 'tensor' && c.worst.length > 0);
  if (!tensorChecks.length) return null;
  const worst = tensorChecks.reduce((a, b) => (b.maxRelError > a.maxRelError ? b : a));
  const id = graph.named.get(worst.target);
  const entry = worst.worst.find((e) => !e.kinkCrossed) ?? worst.worst[0];
  if (id === undefined) return null;
  const flat = ravel(entry.index, graph.nodes[id].sizes);
  const run = () => stepSweep(graph, ex, worst.target, flat);
  return memo ? memo.cache.getOrCompute(`sweep|${worst.target}|${flat}|${analyticKey(graph, memo.fingerprints)}`, run) : run();
}

/** Failing and suspicious checks become diagnostics where the wrong gradient was written. */
function reportChecks(checks: SpanCheck[], graph: Graph, sink: DiagnosticSink, thresholds: Thresholds): void {
  const failedGates = checks.filter((c) => c.kind === 'gate' && c.verdict === 'fail').map((c) => c.target.split('.')[0]);
  for (const c of checks) {
    if (c.verdict === 'pass' || c.verdict === 'ok-if-kinked') continue;
    const w = c.worst.find((e) => !e.kinkCrossed) ?? c.worst[0];
    if (!w) continue;
    const at = w.index.length ? ` at [${w.index.join(', ')}]` : '';
    const entry = `relative error ${formatNumber(w.relError)}${at} (analytic ${formatNumber(w.analytic)}, numeric ${formatNumber(w.numeric)}, h = ${c.h})`;
    const count = `${c.failing} of ${c.checked} checked entr${c.checked === 1 ? 'y' : 'ies'} off by more than ${thresholds.warn}`;
    let message: string;
    if (c.kind === 'gate') {
      const [gate, d] = c.target.split('.');
      message =
        c.verdict === 'fail'
          ? `gradient check failed for \`${d}\` of \`${gate}\`: ${entry}; ${count}. This hand-written gradient disagrees with central differences of the gate's forward pass.`
          : `gradient check of \`${d}\` in \`${gate}\` is suspicious: ${entry}; ${count}.${c.hasKinks ? '' : ' The gate is smooth, so a correct gradient would agree to about 1e-7.'}`;
    } else {
      const cause = failedGates.length ? ` The failing check of gate ${[...new Set(failedGates)].map((g) => `\`${g}\``).join(', ')} is the likely cause.` : '';
      message =
        c.verdict === 'fail'
          ? `gradient check failed for \`${c.target}\`: ${entry}; ${count}.${cause}`
          : `gradient check of \`${c.target}\` is suspicious: ${entry}; ${count}.${cause}`;
    }
    const related = c.gateCall !== undefined ? [{ message: 'checked at the inputs of this call', span: graph.gateCalls[c.gateCall].span }] : undefined;
    if (c.verdict === 'fail') sink.error('gradcheck-failed', message, c.span, related ? { related } : undefined);
    else sink.warning('gradcheck-warning', message, c.span, related ? { related } : undefined);
  }
}

/** Params/inputs whose check did not fit in the budget: one note, where the first of them is declared. */
function reportSkipped({ checks, skipped, minimumOps }: TensorChecks, opts: GradCheckOptions, sink: DiagnosticSink): void {
  if (!skipped.length) return;
  const names = skipped.slice(0, 5).map((s) => `\`${s.name}\``).join(', ') + (skipped.length > 5 ? ` and ${skipped.length - 5} more` : '');
  sink.info(
    'gradcheck-skipped',
    `not checked against the root: ${names} — even one entry each would exceed the gradient-check budget of ${opts.maxFlopsTotal.toExponential(1)} operations per analysis. ` +
      `${checks.length ? `The cheaper ones (${checks.length}) were checked. ` : ''}To check every tensor, raise the budget to at least ${minimumOps.toExponential(1)} (setting gradlens.gradientCheck.maxFlops, or gradlens check --check-flops).`,
    skipped[0].span,
  );
}

/** Gates called more often than the budget allowed to check: one note per gate, on its name. */
function reportSkippedCalls({ skippedCalls }: GateChecks, opts: GradCheckOptions, sink: DiagnosticSink): void {
  for (const g of skippedCalls) {
    sink.info(
      'gradcheck-skipped',
      `\`${g.gate}\` is called ${g.calls} times; its backward block was checked at the inputs of ${g.checked} of the calls (the first, then as far as the gradient-check budget of ${opts.maxFlopsTotal.toExponential(1)} operations allowed). ` +
        `To check every call, raise the budget (setting gradlens.gradientCheck.maxFlops, or gradlens check --check-flops).`,
      g.span,
    );
  }
}

function sliceText(session: AnalysisSession, s: Span): string {
  return session.lineMap.text.slice(s.start, s.end);
}

function declType(s: TensorDecl, dimOf: (n: string) => Dim | undefined): ValueType | null {
  if (s.type?.shape) {
    let ok = true;
    const t = typeFromAnn(s.type, (d) => {
      if (d.kind === 'int') return lit(d.value);
      const dim = dimOf(d.name);
      if (!dim) ok = false;
      return dim ?? lit(1);
    });
    return ok ? t : null;
  }
  // No shape written: a scalar, or the shape of a literal list.
  if (s.init?.kind === 'literal') {
    const shape = listLiteralShape(s.init.expr);
    if (typeof shape === 'string') return literalValue(s.init.expr) === null ? null : { shape: [], isInt: !!s.type?.isInt };
    return { shape: shape.map(lit), isInt: !!s.type?.isInt };
  }
  return { shape: [], isInt: !!s.type?.isInt };
}

function elementsOf(sizes: readonly number[]): number {
  return sizes.reduce((a, b) => a * b, 1);
}

function withinElementLimit(s: TensorDecl, sizes: number[], options: AnalyzeOptions, sink: DiagnosticSink): boolean {
  const limit = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const n = elementsOf(sizes);
  if (n <= limit) return true;
  sink.error('too-large', `\`${s.name}\` would hold ${sizes.join('×')} = ${n.toLocaleString('en-US')} elements, over the limit of ${limit.toLocaleString('en-US')}; lower the dimension sizes (dims or --dim)`, s.nameSpan);
  return false;
}

/** Checks the total size and cost of a run before allocating anything. */
function withinRunLimits(graph: Graph, options: AnalyzeOptions, sink: DiagnosticSink): boolean {
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const maxFlops = options.maxFlops ?? DEFAULT_MAX_FLOPS;
  let total = 0;
  let flops = 0;
  let largest = -1;
  let costliest = -1;
  let costliestFlops = 0;
  for (const n of graph.nodes) {
    const count = elementsOf(n.sizes);
    total += n.requiresGrad ? 2 * count : count;
    if (largest < 0 || count > elementsOf(graph.nodes[largest].sizes)) largest = n.id;
    if (n.op) {
      const c = n.op.cost ? n.op.cost(n.inputs.map((i) => graph.nodes[i].sizes), n.sizes) : count;
      const withBackward = n.requiresGrad ? 3 * c : c;
      flops += withBackward;
      if (withBackward > costliestFlops) {
        costliestFlops = withBackward;
        costliest = n.id;
      }
    }
  }
  if (total > maxElements && largest >= 0) {
    const n = graph.nodes[largest];
    sink.error(
      'too-large',
      `running this file needs ${total.toLocaleString('en-US')} tensor elements (values and gradients), over the limit of ${maxElements.toLocaleString('en-US')}; ` +
        `the largest tensor here is ${formatShape(n.type.shape)} = ${elementsOf(n.sizes).toLocaleString('en-US')} elements. Lower the dimension sizes.`,
      n.span,
    );
    return false;
  }
  if (flops > maxFlops && costliest >= 0) {
    const n = graph.nodes[costliest];
    sink.error(
      'too-large',
      `one forward and backward pass would cost about ${flops.toExponential(1)} floating-point operations, over the limit of ${maxFlops.toExponential(1)}; ` +
        `the costliest operation is this \`${n.label}\` (${costliestFlops.toExponential(1)}). Lower the dimension sizes.`,
      n.span,
    );
    return false;
  }
  return true;
}

function reportUnused(program: Program, graph: Graph, ex: Execution, root: string, sink: DiagnosticSink): void {
  for (const s of program.statements) {
    if (s.kind !== 'decl' || s.declKind !== 'param') continue;
    const id = graph.named.get(s.name);
    if (id === undefined || ex.grads[id]) continue;
    sink.warning('unused', `\`${s.name}\` does not affect \`${root}\`, so it gets no gradient; use it or remove it`, s.nameSpan);
  }
}

function checkExpectRun(s: Expect, graph: Graph, ex: Execution, ranBackward: boolean, sink: DiagnosticSink): void {
  const id = graph.named.get(s.target);
  if (id === undefined) return; // undefined or failed statements are reported elsewhere
  const node = graph.nodes[id];
  if (s.what === 'value') {
    checkExpectValue(s, ex.values[id], null, sink);
    return;
  }
  if (!ranBackward) return; // errors elsewhere prevent the backward pass
  let reason: string | null = null;
  if (node.kind === 'const') reason = `\`${s.target}\` is a const: consts never receive gradients`;
  else if (node.type.isInt) reason = `\`${s.target}\` holds integer labels: they never receive gradients`;
  else if (!ex.grads[id]) reason = `\`${s.target}\` gets no gradient: the backward root does not depend on it`;
  checkExpectValue(s, reason ? null : ex.grads[id], reason, sink);
}

function nodeResults(session: AnalysisSession, ex: Execution | null, types: Map<string, ValueType>): NodeResult[] {
  const { program, graph, lineMap } = session;
  if (!graph) return [];
  const out: NodeResult[] = [];
  for (const s of program.statements) {
    if (s.kind !== 'decl' && s.kind !== 'assign') continue;
    const id = graph.named.get(s.name);
    const t = types.get(s.name);
    if (id === undefined || !t) continue;
    // Only the statement that defined the name (not a duplicate).
    if (graph.nodes[id].span.start < s.span.start || graph.nodes[id].span.end > s.span.end) continue;
    const node = graph.nodes[id];
    const value = ex?.values[id] ?? null;
    const grad = ex?.grads[id] ?? null;
    const include = (t: { size: number } | null) => t !== null && t.size <= (session.maxValuesPerNode ?? Infinity);
    const kind: NodeKindOut = s.kind === 'decl' ? s.declKind : 'node';
    const r: NodeResult = {
      name: s.name,
      kind,
      shape: [...node.sizes],
      // Derived dimensions (a pooled size, a reshape's -1) read better as numbers.
      dims: t.shape.map((d) => (d.origin === 'derived' && d.size !== null ? String(d.size) : d.sym)),
      isInt: t.isInt,
      range: lineMap.range(s.nameSpan),
      statementRange: lineMap.range(s.span),
      shapeWritten: s.kind === 'decl' ? !!s.type?.shape : false,
      value: value && include(value) ? Array.from(value.data) : null,
      grad: grad && include(grad) ? Array.from(grad.data) : null,
      truncated: (value !== null && !include(value)) || (grad !== null && !include(grad)),
      valueStats: value ? statsOf(value) : null,
      gradStats: grad ? statsOf(grad) : null,
    };
    const rec = ex?.records.get(id) ?? recordsInside(graph, ex, s);
    if (rec) r.records = rec;
    out.push(r);
  }
  return out;
}

/** Records published by ops inside a statement (e.g. the rnn in `h = rnn(…)[-1]`). */
function recordsInside(graph: Graph, ex: Execution | null, s: Assign | TensorDecl): Record<string, number[]> | undefined {
  if (!ex || s.kind !== 'assign') return undefined;
  for (const [id, rec] of ex.records) {
    const n = graph.nodes[id];
    if (n.span.start >= s.span.start && n.span.end <= s.span.end) return rec;
  }
  return undefined;
}

function toDiagnostics(items: SpanDiagnostic[], lineMap: LineMap): Diagnostic[] {
  const sorted = [...items].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return sorted.map((d) => {
    const out: Diagnostic = { severity: d.severity, code: d.code, message: d.message, range: lineMap.range(d.span) };
    if (d.related?.length) out.related = d.related.map((r) => ({ message: r.message, range: lineMap.range(r.span) }));
    if (d.fixes?.length) out.fixes = d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ range: lineMap.range(e.span), newText: e.newText })) }));
    return out;
  });
}


/** What the editor shows about gates: ranges, local names with shapes, values at the first call. */
function gateSummaries(session: AnalysisSession, ex: Execution | null): GateSummary[] {
  const { program, resolution, graph, lineMap } = session;
  if (!resolution) return [];
  const out: GateSummary[] = [];
  for (const s of program.statements) {
    if (s.kind !== 'gate') continue;
    const info = resolution.gates.get(s.name);
    if (!info || info.decl !== s) continue;
    const types = session.gateTypes.get(s.name) ?? new Map<string, ValueType>();
    const call = graph?.gateCalls.find((c) => c.gate === info) ?? null;
    const local = (name: string, span: Span, role: GateLocal['role'], shapeWritten: boolean): GateLocal => {
      const t = types.get(name);
      const id = call?.names.get(name);
      const v = id !== undefined ? ex?.values[id] : null;
      // Forward names inside a gate with a backward block get their gradient through the block.
      const g = id !== undefined ? ex?.grads[id] : null;
      return {
        name,
        range: lineMap.range(span),
        dims: t ? t.shape.map((d) => d.sym) : [],
        shapeWritten,
        role,
        valueStats: v ? statsOf(v) : null,
        gradStats: g ? statsOf(g) : null,
        shape: v ? [...v.shape] : null,
      };
    };
    const locals: GateLocal[] = [
      ...s.params.map((p) => local(p.name, p.nameSpan, 'input', true)),
      // The output's shape is written in the header (`-> out: [N, M]`): no hint for it.
      ...s.body.map((a) => (a.name === s.output.name ? local(a.name, a.nameSpan, 'output', true) : local(a.name, a.nameSpan, 'intermediate', false))),
    ];
    if (s.backward) {
      locals.push(local(info.doutName, s.output.nameSpan, 'upstream', true));
      for (const a of s.backward.body) locals.push(local(a.name, a.nameSpan, 'backward', false));
    }
    out.push({
      name: s.name,
      range: lineMap.range(s.span),
      headerRange: lineMap.range(s.headerSpan),
      backwardRange: s.backward ? lineMap.range(s.backward.span) : null,
      inputs: s.params.map((p) => p.name),
      output: s.output.name,
      calls: graph?.gateCalls.filter((c) => c.gate === info).length ?? 0,
      locals,
    });
  }
  return out;
}
