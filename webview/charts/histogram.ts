// The 16-bin histogram of a tensor's values or gradients (bins between its min and max).
import type { TensorStats } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, type Built } from './setup';
import { niceTicks } from './ticks';

export function histogramChart(stats: TensorStats | null, what: 'values' | 'gradients', color: string, p: Palette): Built {
  if (!stats) return { empty: what === 'gradients' ? 'No gradient flows into this tensor (a const, an int input, or not used by the root).' : 'Not computed: the forward pass did not reach this tensor.' };
  const bins = stats.histogram.length;
  const width = (stats.max - stats.min) / bins;
  // A linear axis with the bars at their bins' centres, so its ticks can be nice numbers (-0.08,
  // -0.06, …) rather than the centres themselves. A constant tensor is one bar at its value.
  const half = width === 0 ? Math.abs(stats.min) / 2 || 0.5 : 0;
  const lo = stats.min - half;
  const hi = stats.max + half;
  const data = width === 0 ? [{ x: stats.min, y: stats.count }] : stats.histogram.map((c, i) => ({ x: stats.min + (i + 0.5) * width, y: c }));
  const ticks = niceTicks(lo, hi, 5);
  const options = baseOptions<'bar'>(p);
  options.scales = {
    x: {
      type: 'linear',
      min: lo,
      max: hi,
      // The bins fill [min, max] exactly: no room added at the ends as for categories.
      offset: false,
      grid: { offset: false },
      title: { display: true, text: `${what} (${formatNumber(stats.min)} … ${formatNumber(stats.max)})` },
      ticks: { maxRotation: 0, callback: (v) => formatNumber(Number(v)) },
      afterBuildTicks: (scale) => {
        scale.ticks = ticks.map((value) => ({ value }));
      },
    },
    y: { beginAtZero: true, title: { display: true, text: 'count' }, ticks: { precision: 0 } },
  };
  options.plugins = {
    ...options.plugins,
    tooltip: {
      callbacks: {
        title: (items) => {
          const i = items[0].dataIndex;
          return width === 0 ? formatNumber(stats.min) : `${formatNumber(stats.min + i * width)} … ${formatNumber(stats.min + (i + 1) * width)}`;
        },
      },
    },
  };
  return {
    config: {
      type: 'bar',
      data: { datasets: [{ label: what, data, backgroundColor: withAlpha(color, 0.6), borderColor: color, borderWidth: 1, barPercentage: 1, categoryPercentage: 1, ...(width === 0 ? { barThickness: 24 } : {}) }] },
      options,
    },
  };
}
