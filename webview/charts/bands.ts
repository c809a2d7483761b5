// A small chart.js plugin that shades value ranges behind the data (vanishing/exploding norms, the
// gradient-check thresholds, the healthy update ratio) and draws reference lines.
import type { Chart, ChartType, Plugin } from 'chart.js';

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
      if (b.label && Math.abs(p2 - p1) >= 12) {
        ctx.fillStyle = b.labelColor ?? String(chart.options.color ?? '#888');
        ctx.textBaseline = 'top';
        if (vertical) {
          ctx.textAlign = 'left';
          ctx.fillText(b.label, Math.min(p1, p2) + 3, top + 3);
        } else {
          ctx.textAlign = opts.labelAlign === 'left' ? 'left' : 'right';
          ctx.fillText(b.label, opts.labelAlign === 'left' ? left + 4 : right - 4, Math.min(p1, p2) + 2);
        }
      }
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
};
