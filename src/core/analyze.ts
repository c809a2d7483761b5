// The single entry point of the core: .grad text → Analysis. The stages, each in its own file of
// pipeline/, read the previous stage's output and add theirs to the session:
//
//   parse → typecheck → build → plan → execute → checks (+ report) → results
//
// Nothing here throws on bad input; an unexpected exception becomes an `internal-error` diagnostic.
import type { Analysis, AnalysisPhase } from './model';
import { AnalysisCancelled } from './cancel';
import { MemoryBudgetExceeded } from './memoryGuard';
import type { DiagnosticSink } from './diagnostics';
import { parse } from './lang/parser';
import { build } from './pipeline/build';
import { runChecks } from './pipeline/checks';
import { execute } from './pipeline/execute';
import { guarded, reportChecksOverMemory, reportChecksStopped, reportOverBudget } from './pipeline/limits';
import { planRun } from './pipeline/plan';
import { gateSummaries, publishResults, toDiagnostics } from './pipeline/results';
import { newSession, type AnalysisSession, type AnalyzeOptions } from './pipeline/session';
import { typecheck } from './pipeline/typecheck';

export type { AnalysisSession, AnalyzeOptions } from './pipeline/session';
export { DEFAULT_MAX_ELEMENTS, DEFAULT_MAX_FLOPS } from './pipeline/plan';

export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  return analyzeSession(text, options).analysis;
}

export function analyzeSession(text: string, options: AnalyzeOptions = {}): AnalysisSession {
  const t0 = performance.now();
  const session = newSession(text, options);
  const marks = { parsed: t0, analysed: t0 };
  try {
    session.program = parse(text, session.sink);
    marks.parsed = marks.analysed = performance.now();
    runStages(session, guarded(options), t0, () => (marks.analysed = performance.now()));
  } catch (e) {
    if (e instanceof AnalysisCancelled) session.analysis.cancelled = true;
    else if (e instanceof MemoryBudgetExceeded) reportOverBudget(e, session, options);
    else reportInternalError(e, session.sink);
  }
  const t1 = performance.now();
  const a = session.analysis;
  a.diagnostics = toDiagnostics(session.sink.items, session.lineMap, session.sink.dropped);
  a.timings = { parseMs: marks.parsed - t0, analyzeMs: Math.max(0, marks.analysed - marks.parsed), runMs: Math.max(0, t1 - marks.analysed), totalMs: t1 - t0 };
  return session;
}

/** The stages after parsing; `analysed` marks the end of the static part (for the timings). */
function runStages(session: AnalysisSession, options: AnalyzeOptions, t0: number, analysed: () => void): void {
  const typed = typecheck(session, options);
  if (options.shapesOnly) return void analysed();
  const leaves = build(session, typed, options);
  session.leafInits = leaves;
  analysed();
  const graph = session.graph;
  const plan = graph && !options.staticOnly ? planRun(graph, options, session.sink) : null;
  if (!plan) {
    session.analysis.gates = gateSummaries(session, null);
    return publishResults(session, null, typed.types);
  }
  const checks = options.gradcheck !== false;
  if (checks) {
    snapshot(session, 'shapes', options, t0, () => {
      session.analysis.gates = gateSummaries(session, null);
      publishResults(session, null, typed.types);
    });
  }
  const run = execute(session, leaves, options);
  // Before the gradient checks, which re-run backward blocks with random upstream gradients.
  session.analysis.gates = gateSummaries(session, run.ex);
  if (run.backwardRan && checks) {
    snapshot(session, 'values', options, t0, () => publishResults(session, run.ex, typed.types));
    if (!plan.checksFit) reportChecksOverMemory(session, plan, options);
    else {
      try {
        // The batches of the checks get what the budget leaves beside the run.
        const gradcheck = { ...(typeof options.gradcheck === 'object' ? options.gradcheck : {}), batchElements: plan.batchElements };
        runChecks(session, run.ex, { ...options, gradcheck });
      } catch (e) {
        // The run's results are complete and within budget: past it, only the checks stop.
        if (!(e instanceof MemoryBudgetExceeded)) throw e;
        reportChecksStopped(session, e, options);
      }
    }
  }
  publishResults(session, run.ex, typed.types);
}

/**
 * Hands `onPhase` a copy of the Analysis as it stands, after `fill` published the results so far.
 * Only when the checks will follow: without them the finished Analysis comes at once anyway.
 */
function snapshot(session: AnalysisSession, phase: AnalysisPhase, options: AnalyzeOptions, t0: number, fill: () => void): void {
  if (!options.onPhase) return;
  fill();
  const a = session.analysis;
  const ms = performance.now() - t0;
  options.onPhase(phase, { ...a, phase, diagnostics: toDiagnostics(session.sink.items, session.lineMap), timings: { ...a.timings, runMs: ms, totalMs: ms } });
}

/** An exception from inside the core is a bug: it becomes a diagnostic, never an escape. */
function reportInternalError(e: unknown, sink: DiagnosticSink): void {
  const msg = e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(e);
  sink.error('internal-error', `GradLens hit an internal error while analysing this file: ${msg}`, { start: 0, end: 0 });
}
