// Backprop through time: ‖∂L/∂h_t‖ per time step of every rnn, log scale. A line falling towards
// t = 0 is the vanishing gradient; rising is the exploding one.
import type { Analysis } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import type { Palette } from '../theme';
import { baseOptions, decadeTicks, logTicks, type Built } from './setup';

export function rnnSeries(a: Analysis): { name: string; norms: number[] }[] {
  return a.nodes.flatMap((n) => (n.records?.timestepGradNorms ? [{ name: n.name, norms: n.records.timestepGradNorms }] : []));
}

export function timestepChart(a: Analysis, p: Palette): Built {
  const series = rnnSeries(a);
  if (series.length === 0) return { empty: 'No rnn in this file.' };
  const steps = Math.max(...series.map((s) => s.norms.length));
  const colors = [p.blue, p.orange, p.purple, p.green];
  const options = baseOptions<'line'>(p);
  options.scales = {
    x: { title: { display: true, text: 'time step t' } },
    y: { type: 'logarithmic', title: { display: true, text: '‖∂L/∂h_t‖' }, ticks: { callback: logTicks }, afterBuildTicks: decadeTicks },
  };
  options.plugins = {
    ...options.plugins,
    legend: { display: series.length > 1 },
    tooltip: { callbacks: { label: (item) => `${series[item.datasetIndex].name}: ‖∂L/∂h_${item.dataIndex}‖ = ${formatNumber(item.parsed.y)}` } },
  };
  return {
    config: {
      type: 'line',
      data: {
        labels: Array.from({ length: steps }, (_, t) => String(t)),
        datasets: series.map((s, i) => ({ label: s.name, data: s.norms.map((v) => (v > 0 ? v : null)), borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length], pointRadius: 3 })),
      },
      options,
    },
  };
}
