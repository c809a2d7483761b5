// Gradient-check results: the largest relative error of each target on a log axis, over the bands
// of the thresholds the checks ran with (gradlens.gradientCheck.thresholds; by default cs231n's:
// < 1e-7 fine, < 1e-4 fine with kinks, < 1e-2 suspicious, else wrong).
import type { Analysis, GradCheckResult, Verdict } from '../../src/core/browser';
import { thresholdBands } from '../../src/core/browser';
import type { GradCheckThresholds } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, logTicks, type Built } from './setup';

/** A relative error of 0 (agreement within round-off) sits on the floor of the axis. */
export const REL_FLOOR = 1e-16;
/** The top of the axis (a relative error is at most 1). */
const REL_CEILING = 10;

export function verdictColor(v: Verdict, p: Palette): string {
  return v === 'pass' ? p.green : v === 'ok-if-kinked' ? p.yellow : v === 'warn' ? p.orange : p.red;
}

export function verdictText(c: GradCheckResult): string {
  switch (c.verdict) {
    case 'pass':
      return 'pass';
    case 'ok-if-kinked':
      return 'ok (kink crossed)';
    case 'warn':
      return 'suspicious';
    case 'fail':
      return c.notRun ? `FAIL (${c.notRun})` : 'FAIL';
  }
}

export function gradcheckChart(a: Analysis, thresholds: GradCheckThresholds, p: Palette, selected: string | null, onPick: (target: string) => void): Built {
  const checks = a.gradchecks;
  if (checks.length === 0) return { empty: a.root === null ? 'No gradient checks: the file has no backward root.' : 'No gradient checks ran. Enable them with the setting gradlens.gradientCheck.enabled, or run "GradLens: Check Gradients".' };
  // The bar is the raw relative error of the worst entry; the core's maxRelError leaves out entries
  // that agree within round-off or within their error budget (often 0) and kink crossings, so the
  // verdict (the colour) can be "pass" above `kinked`.
  const raw = checks.map((c) => Math.max(c.maxRelError, ...c.worst.map((e) => e.relError)));
  const data = raw.map((v) => Math.max(REL_FLOOR, v));
  const options = baseOptions<'bar'>(p);
  options.onClick = (_e, els) => {
    if (els.length) onPick(checks[els[0].index].target);
  };
  options.scales = {
    x: { ticks: { autoSkip: true, maxRotation: 60 } },
    y: { type: 'logarithmic', min: REL_FLOOR, max: REL_CEILING, title: { display: true, text: 'worst relative error' }, ticks: { callback: logTicks } },
  };
  options.plugins = {
    ...options.plugins,
    tooltip: {
      callbacks: {
        label: (item) => {
          const c = checks[item.dataIndex];
          const beyond = c.maxRelError === 0 ? '0 (the rest is round-off, truncation or kinks)' : formatNumber(c.maxRelError);
          if (c.notRun) return [verdictText(c)];
          return [`${verdictText(c)} · worst relative error ${formatNumber(raw[item.dataIndex])}`, `beyond the error budget: ${beyond}`, `${c.failing} of ${c.checked} entries off · h = ${c.h}`];
        },
      },
    },
    bands: {
      labelAlign: 'left',
      bands: thresholdBands(thresholds, REL_FLOOR, REL_CEILING).map((b) => ({ from: b.from, to: b.to, label: b.label, color: withAlpha(verdictColor(b.verdict, p), b.verdict === 'warn' || b.verdict === 'fail' ? 0.12 : 0.1) })),
    },
  };
  return {
    config: {
      type: 'bar',
      data: {
        labels: checks.map((c) => c.target),
        datasets: [
          {
            label: 'max relative error',
            data,
            backgroundColor: checks.map((c) => withAlpha(verdictColor(c.verdict, p), 0.7)),
            borderColor: checks.map((c) => (c.target === selected ? p.focus : verdictColor(c.verdict, p))),
            borderWidth: checks.map((c) => (c.target === selected ? 3 : 1)),
          },
        ],
      },
      options,
    },
  };
}
