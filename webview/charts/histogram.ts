// The 16-bin histogram of a tensor's values or gradients (bins between its min and max).
import type { TensorStats } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, type Built } from './setup';

export function histogramChart(stats: TensorStats | null, what: 'values' | 'gradients', color: string, p: Palette): Built {
  if (!stats) return { empty: what === 'gradients' ? 'No gradient flows into this tensor (a const, an int input, or not used by the root).' : 'Not computed: the forward pass did not reach this tensor.' };
  const bins = stats.histogram.length;
  const width = (stats.max - stats.min) / bins;
  const labels = stats.histogram.map((_, i) => (width === 0 ? (i === Math.floor(bins / 2) ? formatNumber(stats.min) : '') : formatNumber(stats.min + (i + 0.5) * width)));
  const options = baseOptions<'bar'>(p);
  options.scales = {
    x: { title: { display: true, text: `${what} (${formatNumber(stats.min)} … ${formatNumber(stats.max)})` }, ticks: { maxRotation: 0, autoSkip: true } },
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
      data: { labels, datasets: [{ label: what, data: stats.histogram, backgroundColor: withAlpha(color, 0.6), borderColor: color, borderWidth: 1, barPercentage: 1, categoryPercentage: 1 }] },
      options,
    },
  };
}
