// Gradient-check results: the largest relative error of each target on a log axis, over the
// threshold bands of the cs231n notes (< 1e-7 fine, < 1e-4 fine with kinks, < 1e-2 suspicious, else wrong).
import type { Analysis, GradCheckResult, Verdict } from '../../src/core/analysis';
import { formatNumber } from '../../src/core/format/number';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, logTicks, type Built } from './setup';

/** A relative error of 0 (agreement within round-off) sits on the floor of the axis. */
export const REL_FLOOR = 1e-16;
export const THRESHOLDS = [1e-7, 1e-4, 1e-2] as const;

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
      return 'FAIL';
  }
}

export function gradcheckChart(a: Analysis, p: Palette, selected: string | null, onPick: (target: string) => void): Built {
  const checks = a.gradchecks;
  if (checks.length === 0) return { empty: a.root === null ? 'No gradient checks: the file has no backward root.' : 'No gradient checks ran. Enable them with the setting gradlens.gradientCheck.enabled, or run "GradLens: Check Gradients".' };
  // The bar is the raw relative error of the worst entry; the core's maxRelError leaves out entries
  // that agree within round-off (often 0), so the verdict (the colour) can be "pass" above 1e-7.
  const raw = checks.map((c) => Math.max(c.maxRelError, ...c.worst.map((e) => e.relError)));
  const data = raw.map((v) => Math.max(REL_FLOOR, v));
  const options = baseOptions<'bar'>(p);
  options.onClick = (_e, els) => {
    if (els.length) onPick(checks[els[0].index].target);
  };
  options.scales = {
    x: { ticks: { autoSkip: true, maxRotation: 60 } },
    y: { type: 'logarithmic', min: REL_FLOOR, max: 10, title: { display: true, text: 'worst relative error' }, ticks: { callback: logTicks } },
  };
  options.plugins = {
    ...options.plugins,
    tooltip: {
      callbacks: {
        label: (item) => {
          const c = checks[item.dataIndex];
          const beyond = c.maxRelError === 0 ? '0 (the rest is round-off)' : formatNumber(c.maxRelError);
          return [`${verdictText(c)} · worst relative error ${formatNumber(raw[item.dataIndex])}`, `beyond round-off: ${beyond}`, `${c.failing} of ${c.checked} entries off · h = ${c.h}`];
        },
      },
    },
    bands: {
      labelAlign: 'left',
      bands: [
        { from: REL_FLOOR, to: THRESHOLDS[0], color: withAlpha(p.green, 0.1), label: 'pass < 1e-7' },
        { from: THRESHOLDS[0], to: THRESHOLDS[1], color: withAlpha(p.yellow, 0.1), label: 'ok if kinked' },
        { from: THRESHOLDS[1], to: THRESHOLDS[2], color: withAlpha(p.orange, 0.12), label: 'suspicious' },
        { from: THRESHOLDS[2], to: 10, color: withAlpha(p.red, 0.12), label: 'wrong > 1e-2' },
      ],
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
