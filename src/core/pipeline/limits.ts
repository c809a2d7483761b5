// The memory budget while the run is under way (stage 3, plan, counted it beforehand): the guard
// folded into the cancel check every long loop asks, and the notes when the budget stops the run
// (`too-large`) or only its gradient checks (`gradcheck-skipped`).
import { limitText } from '../defaults';
import { GUARD_MARGIN_BYTES, MemoryGuard, type MemoryBudgetExceeded } from '../memoryGuard';
import { DEFAULT_MAX_ELEMENTS, maxElementsSource, type RunPlan } from './plan';
import type { AnalysisSession, AnalyzeOptions } from './session';

/**
 * The options with the memory guard folded into the cancel check, which every long loop asks
 * between steps: past the budget it throws MemoryBudgetExceeded, reported as `too-large`.
 */
export function guarded(options: AnalyzeOptions): AnalyzeOptions {
  const probe = options.memory;
  if (!probe) return options;
  const guard = new MemoryGuard(probe, (options.maxElements ?? DEFAULT_MAX_ELEMENTS) * Float64Array.BYTES_PER_ELEMENT + GUARD_MARGIN_BYTES);
  const cancelled = options.isCancelled;
  return { ...options, isCancelled: () => (guard.check(), cancelled?.() ?? false) };
}

/** The run fits in memory but its gradient checks would not: one note on the root says so. */
export function reportChecksOverMemory(session: AnalysisSession, plan: RunPlan, options: AnalyzeOptions): void {
  const graph = session.graph;
  const root = graph?.root;
  if (!graph || root === null || root === undefined) return;
  const limit = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  session.sink.info(
    'gradcheck-skipped',
    `gradient checks not run: the run holds about ${limitText(Math.ceil(plan.elements))} float64 elements and the checks would need about ${limitText(Math.ceil(plan.checkElements))} more, ` +
      `over the limit of ${limitText(limit)} (${maxElementsSource(options)}). Lower the dimension sizes while you check gradients`,
    graph.nodes[root].span,
  );
}

/** The memory guard stopped the gradient checks (the run itself had finished): a note on the root. */
export function reportChecksStopped(session: AnalysisSession, e: MemoryBudgetExceeded, options: AnalyzeOptions): void {
  const graph = session.graph;
  const root = graph?.root;
  if (!graph || root === null || root === undefined) return;
  session.sink.info('gradcheck-skipped', `gradient checks stopped: ${e.message} (the element limit in float64s — ${maxElementsSource(options)} — and a margin of ${GUARD_MARGIN_BYTES / 2 ** 20} MB). The values and gradients shown are complete; lower the dimension sizes to check them`, graph.nodes[root].span);
}

/** The memory guard stopped the run: a `too-large` error where it was when the budget ran out. */
export function reportOverBudget(e: MemoryBudgetExceeded, session: AnalysisSession, options: AnalyzeOptions): void {
  const ex = session.execution;
  const node = ex && ex.current >= 0 ? session.graph?.nodes[ex.current] : undefined;
  const first = session.program.statements[0];
  const span = node?.span ?? first?.span ?? { start: 0, end: 0 };
  session.sink.error(
    'too-large',
    `stopped: ${e.message} (the element limit in float64s — ${maxElementsSource(options)} — and a margin of ${GUARD_MARGIN_BYTES / 2 ** 20} MB; the run had reached this operation). ` +
      `Lower the dimension sizes`,
    span,
  );
}
