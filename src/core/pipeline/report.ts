// Stage 6, report: gradient-check verdicts become diagnostics where the wrong gradient was
// written (a gate's `d<input>` line, a param's declaration), and what the budget left unchecked
// becomes a note.
import type { GateChecks } from '../checks/gateChecks';
import type { GradCheckOptions, SpanCheck, Thresholds } from '../checks/gradcheck';
import type { TensorChecks } from '../checks/tensorChecks';
import type { DiagnosticSink } from '../diagnostics';
import type { Graph } from '../engine/graph';
import { formatNumber } from '../format/number';
import { reportedEntry } from '../checks/thresholds';

/** Failing and suspicious checks become diagnostics where the wrong gradient was written. */
export function reportChecks(checks: SpanCheck[], graph: Graph, sink: DiagnosticSink, thresholds: Thresholds): void {
  const failedGates = checks.filter((c) => c.kind === 'gate' && c.verdict === 'fail').map((c) => c.target.split('.')[0]);
  for (const c of checks) {
    if (c.verdict === 'pass' || c.verdict === 'ok-if-kinked') continue;
    const w = reportedEntry(c.worst);
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
export function reportSkipped({ checks, skipped, minimumOps }: TensorChecks, opts: GradCheckOptions, sink: DiagnosticSink): void {
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
export function reportSkippedCalls({ skippedCalls }: GateChecks, opts: GradCheckOptions, sink: DiagnosticSink): void {
  for (const g of skippedCalls) {
    const what =
      g.checked === 0
        ? `the backward block of \`${g.gate}\` was not checked: checking even its first call would exceed what is left of the gradient-check budget of ${opts.maxFlopsTotal.toExponential(1)} operations (gates checked earlier in the file used it). `
        : `\`${g.gate}\` is called ${g.calls} times; its backward block was checked at the inputs of ${g.checked} of the calls (the first, then as far as the gradient-check budget of ${opts.maxFlopsTotal.toExponential(1)} operations allowed). `;
    sink.info('gradcheck-skipped', `${what}To check every call, raise the budget (setting gradlens.gradientCheck.maxFlops, or gradlens check --check-flops).`, g.span);
  }
}
