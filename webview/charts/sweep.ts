// The h sweep: relative error of the central difference against the step h, log–log. Too large
// an h is truncation error, too small is round-off: the V shows where h should be.
import type { StepSweep } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, decadeTicks, logTicks, type Built } from './setup';

const FLOOR = 1e-17;

export function sweepChart(sweep: StepSweep | null, usedH: number | null, p: Palette): Built {
  if (!sweep || sweep.points.length === 0) return { empty: 'No h sweep: pick a parameter entry above and press "Sweep h" (the sweep needs a backward root and a gradient at that entry).' };
  const pts = sweep.points.map((q) => ({ x: q.h, y: Math.max(FLOOR, q.relError) }));
  const options = baseOptions<'scatter'>(p);
  options.scales = {
    x: { type: 'logarithmic', reverse: true, title: { display: true, text: 'step h' }, ticks: { callback: logTicks, maxRotation: 0 }, afterBuildTicks: decadeTicks, grid: { display: false } },
    y: { type: 'logarithmic', title: { display: true, text: 'relative error' }, ticks: { callback: logTicks }, afterBuildTicks: decadeTicks },
  };
  options.plugins = {
    ...options.plugins,
    tooltip: {
      callbacks: {
        label: (item) => {
          const q = sweep.points[item.dataIndex];
          return `h = ${q.h}: numeric ${formatNumber(q.numeric)} vs analytic ${formatNumber(sweep.analytic)}, relative error ${formatNumber(q.relError)}`;
        },
      },
    },
    bands: usedH ? { scale: 'x', lines: [{ at: usedH, color: p.muted, label: `h used ${usedH}` }] } : {},
  };
  return {
    config: {
      type: 'scatter',
      data: { datasets: [{ label: 'relative error', data: pts, showLine: true, borderColor: p.blue, backgroundColor: withAlpha(p.blue, 0.8), pointRadius: 3 }] },
      options,
    },
  };
}
