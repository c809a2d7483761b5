// A small chart.js plugin that shades value ranges behind the data (vanishing/exploding norms, the
// gradient-check thresholds, the healthy update ratio) and draws reference lines.
import type { Chart, ChartType, Plugin } from 'chart.js';
import { placeLabel, type Box } from './labelPlacement';

export interface Band {
  from: number;
  to: number;
  color: string;
  label?: string;
  labelColor?: string;
}

export interface RefLine {
  at: number;
  color: string;
  label?: string;
}

export interface BandsOptions {
  /** Scale id the bands are measured on (default 'y'). */
  scale?: string;
  bands?: Band[];
  lines?: RefLine[];
  /** Where band labels go along the other axis. */
  labelAlign?: 'left' | 'right';
}

declare module 'chart.js' {
  interface PluginOptionsByType<TType extends ChartType> {
    bands?: BandsOptions & { _type?: TType };
  }
}

function clampPixel(chart: Chart, scaleId: string, v: number): number | null {
  const scale = chart.scales[scaleId];
  if (!scale) return null;
  const lo = scale.min;
  const hi = scale.max;
  const c = Math.min(hi, Math.max(lo, v));
  return scale.getPixelForValue(c);
}

export const bandsPlugin: Plugin = {
  id: 'bands',
  beforeDatasetsDraw(chart, _args, opts: BandsOptions) {
    const bands = opts?.bands ?? [];
    const lines = opts?.lines ?? [];
    if (bands.length === 0 && lines.length === 0) return;
    const scaleId = opts.scale ?? 'y';
    const vertical = chart.scales[scaleId]?.axis === 'x';
    const { left, right, top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = `10px ${String(chart.options.font?.family ?? 'sans-serif')}`;
    for (const b of bands) {
      const p1 = clampPixel(chart, scaleId, b.from);
      const p2 = clampPixel(chart, scaleId, b.to);
      if (p1 === null || p2 === null || p1 === p2) continue;
      ctx.fillStyle = b.color;
      if (vertical) ctx.fillRect(Math.min(p1, p2), top, Math.abs(p2 - p1), bottom - top);
      else ctx.fillRect(left, Math.min(p1, p2), right - left, Math.abs(p2 - p1));
    }
    for (const l of lines) {
      const p = clampPixel(chart, scaleId, l.at);
      if (p === null) continue;
      ctx.strokeStyle = l.color;
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      if (vertical) {
        ctx.moveTo(p, top);
        ctx.lineTo(p, bottom);
      } else {
        ctx.moveTo(left, p);
        ctx.lineTo(right, p);
      }
      ctx.stroke();
      if (l.label) {
        ctx.setLineDash([]);
        ctx.fillStyle = l.color;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'bottom';
        ctx.fillText(l.label, vertical ? p + 3 : left + 4, vertical ? bottom - 2 : p - 2);
      }
    }
    ctx.restore();
  },
  // Labels after the bars, where no bar covers them (a label a bar would hide is left out: the
  // chart's description names the bands).
  afterDatasetsDraw(chart, _args, opts: BandsOptions) {
    const bands = (opts?.bands ?? []).filter((b) => b.label);
    if (bands.length === 0) return;
    const scaleId = opts.scale ?? 'y';
    const vertical = chart.scales[scaleId]?.axis === 'x';
    const { left, right, top, bottom } = chart.chartArea;
    const bars = barBoxes(chart);
    const ctx = chart.ctx;
    const drawn: { label: string; box: Box }[] = [];
    ctx.save();
    ctx.font = `10px ${String(chart.options.font?.family ?? 'sans-serif')}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    for (const b of bands) {
      const p1 = clampPixel(chart, scaleId, b.from);
      const p2 = clampPixel(chart, scaleId, b.to);
      if (p1 === null || p2 === null || p1 === p2) continue;
      const band: Box = vertical ? { left: Math.min(p1, p2), top, right: Math.max(p1, p2), bottom } : { left, top: Math.min(p1, p2), right, bottom: Math.max(p1, p2) };
      const width = ctx.measureText(b.label as string).width;
      const spot = placeLabel(band, width, LABEL_HEIGHT, bars, opts.labelAlign === 'left' || vertical ? 'left' : 'right');
      if (!spot) continue;
      ctx.fillStyle = b.labelColor ?? String(chart.options.color ?? '#888');
      ctx.fillText(b.label as string, spot.x, spot.y);
      drawn.push({ label: b.label as string, box: { left: spot.x, top: spot.y, right: spot.x + width, bottom: spot.y + LABEL_HEIGHT } });
    }
    ctx.restore();
    // Where the labels and bars are, for tests (a canvas has no DOM to query).
    chart.canvas.dataset.bandLabels = JSON.stringify(drawn);
    chart.canvas.dataset.bars = JSON.stringify(bars);
  },
};

/** Height of a 10px label's box. */
const LABEL_HEIGHT = 11;

/** The boxes of the bars drawn (bar charts; points of other charts are not in the way of a band label). */
function barBoxes(chart: Chart): Box[] {
  const out: Box[] = [];
  chart.data.datasets.forEach((_, i) => {
    const meta = chart.getDatasetMeta(i);
    if (meta.type !== 'bar' || meta.hidden) return;
    for (const el of meta.data) {
      const { x, y, base, width } = el.getProps(['x', 'y', 'base', 'width'], true) as { x: number; y: number; base: number; width: number };
      out.push({ left: x - width / 2, right: x + width / 2, top: Math.min(y, base), bottom: Math.max(y, base) });
    }
  });
  return out;
}
