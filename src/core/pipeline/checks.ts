// Stage 5, checks: every gate's backward block at the inputs it received, every param and input
// against the root (within the gradient-check budget, reusing cached results), and the h sweep of
// the worst entry. Their verdicts become diagnostics in `report`.
import type { GradCheckEntry, StepSweep } from '../model';
import { throwIfCancelled } from '../cancel';
import { arena } from '../checks/batched/arena';
import { checkGates, gateCallRegion, planGateCalls, selectGateCalls } from '../checks/gateChecks';
import { DEFAULT_GRADCHECK, downstreamOf, type CheckMemo, type GradCheckOptions, type SpanCheck } from '../checks/gradcheck';
import { stepSweep, sweepCost } from '../checks/stepSweep';
import { analyticKey, checkTensors } from '../checks/tensorChecks';
import { Fingerprints } from '../engine/fingerprint';
import type { GateCall, Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { ravel } from '../tensor/tensor';
import type { DiagnosticSink } from '../diagnostics';
import { gradName } from '../lang/resolve';
import type { LineMap, Span } from '../text';
import { reportChecks, reportSkipped, reportSkippedCalls } from './report';
import type { AnalysisSession, AnalyzeOptions } from './session';

export function runChecks(session: AnalysisSession, ex: Execution, options: AnalyzeOptions): void {
  const { program, sink, analysis, graph } = session;
  const res = session.resolution;
  if (!graph || !res) throw new Error('internal: checks before execute');
  const opts: GradCheckOptions = { ...DEFAULT_GRADCHECK, ...(typeof options.gradcheck === 'object' ? options.gradcheck : {}) };
  const spans = new Map<string, Span>();
  for (const s of program.statements) if (s.kind === 'decl') spans.set(s.name, s.nameSpan);
  const memo: CheckMemo | undefined = options.checkCache ? { cache: options.checkCache, fingerprints: new Fingerprints(graph) } : undefined;
  const ctx = { memo, cancelled: options.isCancelled };
  let tensors: ReturnType<typeof checkTensors>;
  let gates: ReturnType<typeof checkGates>;
  // One budget (maxFlopsTotal) for every check of the analysis, planned before any runs, each at
  // the most it may take (confirmation and projections included): the first call of each gate,
  // then every param and input, then further gate calls, then the default h sweep.
  let left = opts.maxFlopsTotal;
  try {
    const planned = planGateCalls(graph, ex, opts);
    const calls = new Set<GateCall>();
    left -= selectGateCalls(planned, true, left, calls);
    tensors = checkTensors(graph, ex, res.seed, opts, spans, ctx, left);
    left -= tensors.plannedOps;
    left -= selectGateCalls(planned, false, left, calls);
    gates = checkGates(graph, ex, res.seed, opts, ctx, calls);
  } finally {
    // Also when cancelled or out of budget: the batches' working memory is not kept past the run.
    arena.release();
  }
  const checks = [...gates.checks, ...brokenBlockChecks(graph, opts, sink), ...tensors.checks];
  reportChecks(checks, graph, sink, opts.thresholds);
  reportSkipped(tensors, opts, sink);
  reportSkippedCalls(gates, opts, sink);
  session.checks = checks;
  analysis.gradchecks = checks.map(({ span, kind: _kind, gateCall: _gc, hasKinks: _k, ...rest }, k) => ({ ...rest, worst: locateKinks(checks[k], graph, session.lineMap), range: session.lineMap.range(span) }));
  throwIfCancelled(options.isCancelled);
  analysis.sweep = defaultSweep(checks, graph, ex, opts, left, memo);
}

/**
 * The worst entries with the line of each kink or step they crossed. Found from the op's
 * position in the region the check re-ran, after the cache (which never holds source positions);
 * new objects, since a cached check is shared between analyses.
 */
function locateKinks(c: SpanCheck, graph: Graph, lines: LineMap): GradCheckEntry[] {
  if (!c.worst.some((e) => e.kink)) return c.worst;
  let region: number[] = [];
  if (c.kind === 'gate' && c.gateCall !== undefined) region = gateCallRegion(graph, graph.gateCalls[c.gateCall]);
  else {
    const id = graph.named.get(c.target);
    if (id !== undefined) region = downstreamOf(graph, [id]);
  }
  return c.worst.map((e) => {
    if (!e.kink) return e;
    const node = graph.nodes[region[e.kink.at]];
    return node && node.label === e.kink.op ? { ...e, kink: { ...e.kink, range: lines.range(node.span) } } : e;
  });
}

/**
 * A gate whose backward block has an error was differentiated automatically (see execute.ts): the
 * block's own checks fail without running — each `d<input>` line with an error, or every input when
 * the error is on another line of the block.
 */
function brokenBlockChecks(graph: Graph, opts: GradCheckOptions, sink: DiagnosticSink): SpanCheck[] {
  const out: SpanCheck[] = [];
  const seen = new Set<string>();
  for (const gc of graph.gateCalls) {
    const decl = gc.gate.decl;
    if (!gc.autodiffFallback || !decl.backward || seen.has(decl.name)) continue;
    seen.add(decl.name);
    const lines = decl.params.map((p) => (p.type.isInt ? undefined : decl.backward?.body.find((a) => a.name === gradName(p.name))));
    const broken = lines.map((a) => a !== undefined && sink.hasErrorWithin(a.span));
    const anyLine = broken.some((b) => b);
    decl.params.forEach((p, k) => {
      const line = lines[k];
      if (p.type.isInt || !(anyLine ? broken[k] : true)) return;
      out.push({
        target: `${decl.name}.${gradName(p.name)}`,
        maxRelError: 1,
        verdict: 'fail',
        checked: 0,
        failing: 0,
        h: opts.h,
        worst: [],
        span: line?.span ?? decl.backward?.keywordSpan ?? decl.nameSpan,
        kind: 'gate',
        gateCall: gc.index,
        hasKinks: false,
        notRun: anyLine ? 'not run: this line has an error' : 'not run: the backward block has an error',
      });
    });
  }
  return out;
}

/**
 * The h sweep of the worst entry of the worst param/input check, when it fits in one target's
 * check budget and in what the checks left of the analysis's (`left`); otherwise none (the
 * dashboard sweeps any entry on request).
 */
function defaultSweep(checks: SpanCheck[], graph: Graph, ex: Execution, opts: GradCheckOptions, left: number, memo?: CheckMemo): StepSweep | null {
  const tensorChecks = checks.filter((c) => c.kind === 'tensor' && c.worst.length > 0);
  if (!tensorChecks.length) return null;
  const worst = tensorChecks.reduce((a, b) => (b.maxRelError > a.maxRelError ? b : a));
  const id = graph.named.get(worst.target);
  const entry = worst.worst.find((e) => !e.kinkCrossed) ?? worst.worst[0];
  if (id === undefined) return null;
  const flat = ravel(entry.index, graph.nodes[id].sizes);
  if (sweepCost(graph, id) > Math.min(opts.maxFlopsPerTarget, left)) return null;
  const run = () => stepSweep(graph, ex, worst.target, flat);
  return memo ? memo.cache.getOrCompute(`sweep|${worst.target}|${flat}|${analyticKey(graph, memo.fingerprints)}`, run) : run();
}
