// chart.js, tree-shaken: only the controllers, elements, scales and plugins the dashboard uses are
// registered. Colours and fonts come from the theme at render time (canvas cannot read CSS variables).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ChartOptions,
  type ChartType,
  type Scale,
  type Tick,
} from 'chart.js';
import { h, replace, show } from '../dom';
import { palette, type Palette } from '../theme';
import { bandsPlugin } from './bands';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, ScatterController, CategoryScale, LinearScale, LogarithmicScale, Tooltip, Legend, Filler, bandsPlugin);

export type Config = ChartConfiguration<ChartType, unknown[], unknown>;

/** Either a chart to draw, or the sentence saying why there is none. */
export type Built = { config: Config } | { empty: string };

function applyDefaults(p: Palette): void {
  Chart.defaults.color = p.fg;
  Chart.defaults.borderColor = p.grid;
  Chart.defaults.font.family = p.fontFamily;
  Chart.defaults.font.size = Math.max(10, p.fontSize - 2);
  // Charts are redrawn on every analysis (as the user types): animation would only lag behind.
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.tooltip.backgroundColor = p.bg;
  Chart.defaults.plugins.tooltip.titleColor = p.fg;
  Chart.defaults.plugins.tooltip.bodyColor = p.fg;
  Chart.defaults.plugins.tooltip.borderColor = p.border;
  Chart.defaults.plugins.tooltip.borderWidth = 1;
}

/** Log-axis ticks at powers of ten only (1e-7, 1e-4, …), the numbers people read off a log axis. */
export function logTicks(value: number | string): string {
  const v = Number(value);
  if (!(v > 0)) return '';
  const l = Math.log10(v);
  return Math.abs(l - Math.round(l)) < 1e-6 ? `1e${Math.round(l)}` : '';
}

/** Keeps every power of ten on a log axis, however few chart.js would pick. */
export function decadeTicks(scale: Scale): void {
  const min = scale.min;
  const max = scale.max;
  if (!(min > 0) || !(max > min)) return;
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e += step) {
    const v = 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) ticks.push({ value: v });
  }
  if (ticks.length >= 2) scale.ticks = ticks;
}

export function baseOptions<T extends ChartType>(p: Palette): ChartOptions<T> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false, labels: { color: p.fg, boxWidth: 12 } } },
  } as ChartOptions<T>;
}

const live = new Set<ChartBox>();

/** Redraws every chart with the new theme colours. */
export function rethemeCharts(): void {
  for (const box of live) box.retheme();
}

/**
 * One chart with its title and empty state. It draws only while visible (a chart in a hidden tab
 * has no size) and remembers to draw when shown.
 */
export class ChartBox {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly wrap: HTMLElement;
  private readonly empty: HTMLElement;
  private chart: Chart<ChartType, unknown[], unknown> | null = null;
  private type: ChartType | null = null;
  private dirty = true;

  constructor(
    title: string,
    private readonly build: (p: Palette) => Built,
    options: { description?: string; tall?: boolean; id?: string } = {},
  ) {
    this.canvas = h('canvas', { role: 'img', 'aria-label': title });
    this.wrap = h('div', { class: options.tall ? 'chart-wrap tall' : 'chart-wrap' }, this.canvas);
    this.empty = h('p', { class: 'chart-empty muted', hidden: true });
    this.el = h(
      'figure',
      { class: 'chart', 'data-chart': options.id },
      h('figcaption', {}, h('span', { class: 'chart-title' }, title), options.description ? h('span', { class: 'chart-desc muted' }, options.description) : null),
      this.wrap,
      this.empty,
    );
    live.add(this);
  }

  /** Marks the data changed; draws now if visible. */
  invalidate(): void {
    this.dirty = true;
    this.render();
  }

  /** Draws if there is something new and the chart can be seen. */
  render(): void {
    if (!this.dirty || !this.el.isConnected || this.el.offsetParent === null) return;
    this.dirty = false;
    const p = palette();
    applyDefaults(p);
    const built = this.build(p);
    if ('empty' in built) {
      this.chart?.destroy();
      this.chart = null;
      this.canvas.dataset.points = '0';
      replace(this.empty, built.empty);
      show(this.empty, true);
      show(this.wrap, false);
      return;
    }
    show(this.empty, false);
    show(this.wrap, true);
    const cfg = built.config;
    this.canvas.dataset.points = String(cfg.data.datasets.reduce((sum, d) => sum + d.data.length, 0));
    if (this.chart && this.type === cfg.type) {
      this.chart.data = cfg.data;
      this.chart.options = cfg.options ?? {};
      this.chart.update('none');
    } else {
      this.chart?.destroy();
      this.chart = new Chart(this.canvas, cfg);
      this.type = cfg.type;
    }
    // What the x axis reads, for tests and screen readers (a canvas has no text).
    this.canvas.dataset.xTicks = (this.chart.scales.x?.ticks ?? []).map((t) => String(t.label ?? '')).join('|');
  }

  retheme(): void {
    this.chart?.destroy();
    this.chart = null;
    this.invalidate();
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = null;
    live.delete(this);
  }
}
