// The loss landscape L(θ + α·d1 + β·d2) as a heatmap on a canvas (chart.js has no heatmap), with a
// colour bar, the centre (the current parameters) marked, and a readout under the pointer.
import type { LandscapeResult } from '../../src/shared/webviewProtocol';
import { h, on, replace, show } from '../dom';
import { formatNumber } from '../../src/core/browser';
import { palette } from '../theme';

// Viridis (perceptually uniform, readable for colour-blind users and in every theme): data, not chrome.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'].map((c) => {
  const n = parseInt(c.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
});

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

interface Scale {
  log: boolean;
  min: number;
  max: number;
  t(v: number): number;
  at(t: number): number;
}

function colourScale(values: number[]): Scale | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  // Landscapes span orders of magnitude: a positive loss is coloured on a log scale.
  const log = min > 0 && max / min > 10;
  const f = (v: number) => (log ? Math.log(v) : v);
  const lo = f(min);
  const span = f(max) - lo || 1;
  return { log, min, max, t: (v) => (f(v) - lo) / span, at: (t) => (log ? Math.exp(lo + t * span) : lo + t * span) };
}

const nearestIndex = (xs: number[], v: number) => xs.reduce((best, x, i) => (Math.abs(x - v) < Math.abs(xs[best] - v) ? i : best), 0);

export class Heatmap {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly bar: HTMLCanvasElement;
  private readonly barLabels: HTMLElement;
  private readonly axisX: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly plot: HTMLElement;
  private result: LandscapeResult | null = null;

  constructor() {
    this.canvas = h('canvas', { class: 'heatmap-canvas', role: 'img', 'aria-label': 'Loss landscape' });
    this.bar = h('canvas', { class: 'colorbar-canvas', width: 16, height: 256, 'aria-hidden': 'true' });
    this.barLabels = h('div', { class: 'colorbar-labels' });
    this.axisX = h('div', { class: 'heatmap-axis-x muted' });
    this.readout = h('p', { class: 'heatmap-readout muted', 'aria-live': 'polite' });
    this.plot = h(
      'div',
      { class: 'heatmap-plot' },
      h('div', { class: 'heatmap-axis-y muted' }, 'β (direction 2)'),
      h('div', { class: 'heatmap-main' }, this.canvas, this.axisX),
      h('div', { class: 'colorbar' }, this.bar, this.barLabels),
    );
    this.el = h('figure', { class: 'heatmap', 'data-chart': 'landscape' }, this.plot, this.readout);
    show(this.el, false);
    on(this.canvas, 'pointermove', (ev) => this.hover(ev));
    on(this.canvas, 'pointerleave', () => this.describe());
  }

  draw(r: LandscapeResult | null): void {
    this.result = r;
    show(this.el, r !== null);
    if (!r) return;
    const rows = r.betas.length;
    const cols = r.alphas.length;
    const scale = colourScale(r.losses.flat());
    const cell = Math.max(2, Math.floor(400 / Math.max(rows, cols)));
    this.canvas.width = cols * cell;
    this.canvas.height = rows * cell;
    this.canvas.dataset.points = String(rows * cols);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const p = palette();
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const v = r.losses[row]?.[col];
        // β grows upwards, like a plot: row 0 is drawn at the bottom.
        const y = (rows - 1 - row) * cell;
        if (v === undefined || v === null || !Number.isFinite(v) || !scale) {
          ctx.fillStyle = p.error;
          ctx.globalAlpha = 0.35;
          ctx.fillRect(col * cell, y, cell, cell);
          ctx.globalAlpha = 1;
          continue;
        }
        const [cr, cg, cb] = viridis(scale.t(v));
        ctx.fillStyle = `rgb(${cr}, ${cg}, ${cb})`;
        ctx.fillRect(col * cell, y, cell, cell);
      }
    }
    // The current parameters: a ring visible on every colour (light ring over a dark one).
    const cx = (nearestIndex(r.alphas, 0) + 0.5) * cell;
    const cy = (rows - 1 - nearestIndex(r.betas, 0) + 0.5) * cell;
    for (const [color, width] of [['#000000', 4], ['#ffffff', 2]] as const) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.arc(cx, cy, Math.max(5, cell * 0.9), 0, 2 * Math.PI);
      ctx.moveTo(cx - cell * 2, cy);
      ctx.lineTo(cx - cell * 1.1, cy);
      ctx.moveTo(cx + cell * 1.1, cy);
      ctx.lineTo(cx + cell * 2, cy);
      ctx.stroke();
    }
    this.drawBar(scale);
    const a0 = r.alphas[0];
    const a1 = r.alphas[cols - 1];
    replace(this.axisX, h('span', {}, formatNumber(a0)), h('span', {}, 'α (direction 1)'), h('span', {}, formatNumber(a1)));
    this.describe();
  }

  private drawBar(scale: Scale | null): void {
    const ctx = this.bar.getContext('2d');
    if (!ctx) return;
    for (let y = 0; y < this.bar.height; y++) {
      const [r, g, b] = viridis(1 - y / (this.bar.height - 1));
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.fillRect(0, y, this.bar.width, 1);
    }
    if (!scale) {
      replace(this.barLabels);
      return;
    }
    const ticks = [1, 0.75, 0.5, 0.25, 0].map((t) => h('span', {}, formatNumber(scale.at(t))));
    replace(this.barLabels, ...ticks);
    this.barLabels.title = scale.log ? 'log colour scale' : 'linear colour scale';
  }

  private describe(): void {
    const r = this.result;
    if (!r) return;
    const finite = r.losses.flat().filter(Number.isFinite);
    const min = finite.length ? Math.min(...finite) : NaN;
    let at = '';
    r.losses.forEach((row, i) => row.forEach((v, j) => (v === min ? (at = `α = ${formatNumber(r.alphas[j])}, β = ${formatNumber(r.betas[i])}`) : null)));
    const nonFinite = r.losses.flat().length - finite.length;
    const text = `Centre (current parameters, ringed): L = ${formatNumber(r.center)}. Lowest L = ${formatNumber(min)} at ${at || '—'}. ${r.alphas.length}×${r.betas.length} grid over ${r.params.join(', ')} in ${Math.round(r.ms)} ms.${nonFinite ? ` ${nonFinite} points not finite (red).` : ''}`;
    this.readout.textContent = text;
    this.canvas.setAttribute('aria-label', `Loss landscape heatmap. ${text}`);
  }

  private hover(ev: PointerEvent): void {
    const r = this.result;
    if (!r) return;
    const box = this.canvas.getBoundingClientRect();
    const col = Math.floor(((ev.clientX - box.left) / box.width) * r.alphas.length);
    const row = r.betas.length - 1 - Math.floor(((ev.clientY - box.top) / box.height) * r.betas.length);
    const v = r.losses[row]?.[col];
    if (v === undefined) return;
    this.readout.textContent = `α = ${formatNumber(r.alphas[col])}, β = ${formatNumber(r.betas[row])}: L = ${formatNumber(v)} (centre ${formatNumber(r.center)})`;
  }
}
