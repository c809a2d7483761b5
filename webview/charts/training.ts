// Training charts: loss per step, per-parameter gradient norms (log) and the update/weight ratio
// (log, healthy near 1e-3: much lower learns too slowly, much higher is unstable).
import type { TrainingResult } from '../../src/shared/webviewProtocol';
import { formatNumber } from '../../src/core/browser';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, decadeTicks, logTicks, type Built } from './setup';

function colors(p: Palette): string[] {
  return [p.blue, p.purple, p.orange, p.green, p.yellow, p.red];
}

const steps = (n: number) => Array.from({ length: n }, (_, i) => String(i));

export function lossChart(r: TrainingResult | null, p: Palette): Built {
  if (!r || r.losses.length === 0) return { empty: 'Press "Train (SGD)" to run gradient descent on this file; the loss appears here step by step.' };
  const options = baseOptions<'line'>(p);
  options.scales = { x: { title: { display: true, text: 'step' }, ticks: { maxTicksLimit: 10 } }, y: { title: { display: true, text: 'loss' } } };
  options.plugins = { ...options.plugins, tooltip: { callbacks: { label: (item) => `loss ${formatNumber(item.parsed.y)}` } } };
  return {
    config: {
      type: 'line',
      data: { labels: steps(r.losses.length), datasets: [{ label: 'loss', data: r.losses.map((v) => (Number.isFinite(v) ? v : null)), borderColor: p.blue, backgroundColor: withAlpha(p.blue, 0.15), fill: true, pointRadius: 0, borderWidth: 2 }] },
      options,
    },
  };
}

function perParam(series: Record<string, number[]>, p: Palette, title: string, ratio: boolean): Built {
  const names = Object.keys(series);
  if (names.length === 0) return { empty: 'Appears while training runs.' };
  const n = Math.max(...names.map((k) => series[k].length));
  const palette = colors(p);
  const options = baseOptions<'line'>(p);
  options.scales = {
    x: { title: { display: true, text: 'step' }, ticks: { maxTicksLimit: 10 } },
    // The ratio axis always shows the healthy band around 1e-3.
    y: { type: 'logarithmic', title: { display: true, text: title }, ticks: { callback: logTicks }, afterBuildTicks: decadeTicks, ...(ratio ? { suggestedMin: 1e-5, suggestedMax: 1 } : {}) },
  };
  options.plugins = {
    ...options.plugins,
    legend: { display: true, position: 'bottom', labels: { color: p.fg, boxWidth: 10, boxHeight: 2 } },
    tooltip: { callbacks: { label: (item) => `${names[item.datasetIndex]}: ${formatNumber(item.parsed.y)}` } },
    bands: ratio ? { bands: [{ from: 1e-4, to: 1e-2, color: withAlpha(p.green, 0.12), label: 'healthy ≈ 1e-3' }], lines: [{ at: 1e-3, color: p.green }] } : {},
  };
  return {
    config: {
      type: 'line',
      data: {
        labels: steps(n),
        datasets: names.map((k, i) => ({ label: k, data: series[k].map((v) => (v > 0 && Number.isFinite(v) ? v : null)), borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 0, borderWidth: 1.5 })),
      },
      options,
    },
  };
}

export function trainGradChart(r: TrainingResult | null, p: Palette): Built {
  return perParam(r?.gradNorms ?? {}, p, '‖∂L/∂W‖', false);
}

export function ratioChart(r: TrainingResult | null, p: Palette): Built {
  return perParam(r?.updateRatios ?? {}, p, '‖ΔW‖ / ‖W‖', true);
}
