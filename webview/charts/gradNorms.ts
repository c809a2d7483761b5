// ‖∂L/∂x‖ of every named tensor, log scale, with the vanishing and exploding ranges shaded.
import type { Analysis, NodeResult } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { shapeText } from '../format';
import { withAlpha, type Palette } from '../theme';
import { baseOptions, decadeTicks, logTicks, type Built } from './setup';

/** Below this fraction of the largest norm a layer learns next to nothing (the core's health ratio). */
export const VANISHING_RATIO = 1e-3;
/** Above this multiple of the median norm (and at least this absolute) a gradient explodes. */
export const EXPLODING_RATIO = 1e3;
/** Floor of the log axis for a norm of exactly 0. */
const ZERO_FLOOR = 1e-12;

export function normNodes(a: Analysis): NodeResult[] {
  return a.nodes.filter((n) => n.gradStats !== null);
}

function kindColor(n: NodeResult, p: Palette): string {
  return n.kind === 'param' ? p.purple : n.kind === 'input' ? p.muted : p.blue;
}

export function gradNormsChart(a: Analysis, p: Palette, onPick: (name: string) => void): Built {
  const nodes = normNodes(a);
  if (a.root === null) return { empty: 'No gradients: the file has no backward root. The last assignment must be a scalar (wrap it in sum(…) or mean(…)).' };
  if (nodes.length === 0) return { empty: 'No gradients yet: fix the errors above and the norms appear here.' };
  const norms = nodes.map((n) => n.gradStats?.norm ?? 0);
  const positive = norms.filter((v) => v > 0 && Number.isFinite(v));
  const largest = positive.length ? Math.max(...positive) : 1;
  const sorted = [...positive].sort((x, y) => x - y);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 1;
  const vanishTop = Math.max(largest * VANISHING_RATIO, 1e-7);
  const explodeBottom = Math.max(median * EXPLODING_RATIO, 1e3);
  const floor = Math.min(ZERO_FLOOR, ...positive);
  const data = norms.map((v) => (v > 0 ? v : floor));
  const options = baseOptions<'bar'>(p);
  options.onClick = (_e, els) => {
    if (els.length) onPick(nodes[els[0].index].name);
  };
  options.scales = {
    x: { ticks: { autoSkip: true, maxRotation: 60 } },
    y: {
      type: 'logarithmic',
      suggestedMin: Math.min(...data, vanishTop) / 3,
      suggestedMax: Math.max(...data) * 3,
      title: { display: true, text: '‖∂L/∂x‖' },
      ticks: { callback: logTicks },
      afterBuildTicks: decadeTicks,
    },
  };
  options.plugins = {
    ...options.plugins,
    tooltip: {
      callbacks: {
        title: (items) => nodes[items[0].dataIndex].name,
        label: (item) => {
          const n = nodes[item.dataIndex];
          const v = norms[item.dataIndex];
          return `‖∂L/∂${n.name}‖ = ${v === 0 ? '0 (no gradient reaches it)' : formatNumber(v)} · ${n.kind} ${shapeText(n.dims, n.shape)}`;
        },
      },
    },
    bands: {
      bands: [
        { from: 0, to: vanishTop, color: withAlpha(p.yellow, 0.14), label: 'vanishing' },
        { from: explodeBottom, to: Infinity, color: withAlpha(p.red, 0.14), label: 'exploding' },
      ],
    },
  };
  return {
    config: {
      type: 'bar',
      data: {
        labels: nodes.map((n) => n.name),
        datasets: [{ label: 'gradient norm', data, backgroundColor: nodes.map((n) => withAlpha(kindColor(n, p), 0.75)), borderColor: nodes.map((n) => kindColor(n, p)), borderWidth: 1 }],
      },
      options,
    },
  };
}
