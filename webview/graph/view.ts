// The Graph tab: toolbar, the SVG canvas with zoom/pan, the tooltip, selection and reveal.
import type { Analysis } from '../../src/core/browser';
import type { ViewNode } from '../../src/core/browser';
import type { DebugView, FromWebview } from '../../src/shared/webviewProtocol';
import { h, on, replace, s, show } from '../dom';
import { palette } from '../theme';
import type { Store } from '../state';
import { layoutGraph, type GraphLayout, type Measure } from './layout';
import { markDebug } from './debugMarks';
import { graphDefs, renderGraph, type RenderedGraph } from './render';
import { tooltipContent } from './tooltip';
import { PanZoom } from './viewport';

export interface GraphHost {
  post(msg: FromWebview): void;
  store: Store;
  /** A node was selected (the charts follow the selection). */
  selected(node: ViewNode): void;
}

/** Text widths from the same fonts the stylesheet gives the SVG text. */
function measurer(): Measure {
  const ctx = document.createElement('canvas').getContext('2d');
  const p = palette();
  const fonts = {
    title: `600 12px ${p.fontFamily}`,
    detail: `10px ${p.monoFamily}`,
    caption: `italic 11px ${p.fontFamily}`,
    edge: `11px ${p.monoFamily}`,
  };
  return (text, role) => {
    if (!text) return 0;
    if (!ctx) return text.length * 7;
    ctx.font = fonts[role];
    return ctx.measureText(text).width;
  };
}

const KEY_PAN = 48;

export class GraphView {
  readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly tooltip: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly pz: PanZoom;
  private rendered: RenderedGraph | null = null;
  private layout: GraphLayout | null = null;
  private nodes = new Map<string, ViewNode>();
  private needsInitialView = false;
  /** Where the debugger is, while a session is stopped in this file. */
  private debugView: DebugView | null = null;

  constructor(private readonly host: GraphHost) {
    const btn = (label: string, title: string, fn: () => void) => {
      const b = h('button', { type: 'button', class: 'icon-button', title, 'aria-label': title }, label);
      on(b, 'click', fn);
      return b;
    };
    this.summary = h('span', { class: 'graph-summary muted' });
    const toolbar = h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Graph view' },
      btn('−', 'Zoom out (−)', () => this.pz.zoomBy(1 / 1.25)),
      btn('+', 'Zoom in (+)', () => this.pz.zoomBy(1.25)),
      btn('Fit', 'Fit the whole graph (0)', () => this.fit()),
      btn('1:1', 'Actual size (1)', () => this.pz.zoomBy(1 / this.pz.t.k)),
      this.summary,
      h(
        'span',
        { class: 'legend' },
        h('span', { class: 'legend-value' }, 'value ▲'),
        h('span', { class: 'legend-grad' }, 'gradient ▼'),
        h('span', { class: 'legend-kind kind-input' }, 'input'),
        h('span', { class: 'legend-kind kind-param' }, 'param'),
        h('span', { class: 'legend-kind kind-gate' }, 'gate'),
      ),
    );
    this.svg = s('svg', {
      class: 'graph-svg',
      tabindex: 0,
      role: 'group',
      'aria-label': 'Computational graph. Tab moves between nodes, Enter reveals a node in the editor, + and − zoom, arrow keys pan, 0 fits.',
    });
    this.svg.appendChild(graphDefs());
    this.tooltip = h('div', { class: 'tooltip', role: 'tooltip', id: 'graph-tooltip', hidden: true });
    this.empty = h('div', { class: 'state-message', hidden: true });
    const canvas = h('div', { class: 'graph-canvas' }, this.svg, this.tooltip, this.empty);
    this.el = h('section', { class: 'graph-view' }, toolbar, canvas);

    this.pz = new PanZoom(this.svg, () => this.rendered?.layer ?? null, (t) => {
      this.hideTooltip();
      if (this.layout) host.store.set('viewport', { ...t });
    });
    on(canvas, 'keydown', (ev) => this.onKey(ev));
    on(this.svg, 'click', (ev) => {
      const g = this.nodeOf(ev.target);
      if (!g || this.pz.dragged) return;
      this.activate(g, true);
    });
    on(this.svg, 'pointerover', (ev) => {
      const g = this.nodeOf(ev.target);
      if (g) this.showTooltip(g);
    });
    on(this.svg, 'pointerout', (ev) => {
      const g = this.nodeOf(ev.target);
      if (g && !g.contains(ev.relatedTarget as Node | null)) this.hideTooltip();
    });
    on(this.svg, 'focusin', (ev) => {
      const g = this.nodeOf(ev.target);
      if (!g) return;
      this.ensureVisible(g);
      this.showTooltip(g);
    });
    on(this.svg, 'focusout', () => this.hideTooltip());
  }

  update(analysis: Analysis, uri: string): void {
    const view = analysis.graphView;
    const store = this.host.store;
    this.hideTooltip();
    if (!view || view.nodes.length === 0) {
      this.rendered?.layer.remove();
      this.rendered = null;
      this.layout = null;
      this.nodes.clear();
      this.summary.textContent = '';
      if (view?.omitted) replace(this.empty, h('strong', {}, 'Graph too large to draw: '), `${view.omitted}. The charts still cover every tensor.`);
      else replace(this.empty, h('strong', {}, 'No graph yet.'), ' Declare an input or a param and assign a result (', h('code', {}, 'f = q * z'), ') — the graph appears as you type.');
      show(this.empty, true);
      return;
    }
    show(this.empty, false);
    this.layout = layoutGraph(view, measurer());
    const rendered = renderGraph(this.layout);
    this.rendered?.layer.remove();
    this.svg.appendChild(rendered.layer);
    this.rendered = rendered;
    this.nodes = new Map(view.nodes.map((n) => [n.id, n]));
    const errors = view.nodes.filter((n) => n.status === 'error').length;
    const warnings = view.nodes.filter((n) => n.status === 'warning').length;
    this.summary.textContent = `${view.nodes.length} nodes${errors ? ` · ${errors} failing` : ''}${warnings ? ` · ${warnings} unhealthy` : ''}`;

    const sameFile = store.state.uri === uri;
    if (!sameFile) {
      store.set('uri', uri);
      store.set('selected', null);
    }
    if (store.state.selected && this.nodes.has(store.state.selected)) this.markSelected(store.state.selected);
    if (sameFile && store.state.viewport) this.pz.set(store.state.viewport);
    else this.initialView();
    if (this.debugView) this.follow(this.debugView);
  }

  /** Follows the debugger: the current node marked, values and gradients not computed yet greyed. */
  follow(view: DebugView | null): void {
    this.debugView = view;
    if (!this.rendered) return;
    const current = markDebug(this.rendered, view);
    if (current) this.ensureVisible(current);
  }

  /** Called when the tab becomes visible (a hidden SVG has no size to fit into). */
  shown(): void {
    if (this.needsInitialView) this.initialView();
  }

  /** Selects, centres and focuses the node with this name (the "Show in graph" command). */
  focusName(name: string): boolean {
    const node = [...this.nodes.values()].find((n) => n.name === name) ?? [...this.nodes.values()].find((n) => n.label === name);
    const g = node && this.rendered?.nodes.get(node.id);
    if (!node || !g || !this.layout) return false;
    this.markSelected(node.id);
    const p = this.layout.nodes.find((q) => q.node.id === node.id);
    if (p) {
      if (this.pz.t.k < 0.8) this.pz.set({ ...this.pz.t, k: 1 });
      this.pz.centerOn(p.x, p.y);
    }
    g.focus({ preventScroll: true });
    g.classList.add('flash');
    setTimeout(() => g.classList.remove('flash'), 1200);
    return true;
  }

  fit(): void {
    if (this.layout) this.pz.fit(this.layout.width, this.layout.height);
  }

  /** A small graph is fitted; a large one starts readable (not below 0.7) at its left end. */
  private initialView(): void {
    const layout = this.layout;
    const { w, h: hgt } = this.pz.size();
    if (!layout || w === 0 || hgt === 0) {
      this.needsInitialView = true;
      return;
    }
    this.needsInitialView = false;
    const k = Math.min(w / layout.width, hgt / layout.height, 1.5);
    if (k >= 0.7) {
      this.pz.fit(layout.width, layout.height);
      return;
    }
    // Start at the inputs (the leftmost node), level with it.
    const k0 = 0.8;
    const first = layout.nodes.reduce((a, b) => (b.x < a.x ? b : a), layout.nodes[0]);
    this.pz.set({ k: k0, x: 0, y: hgt / 2 - first.y * k0 });
  }

  private nodeOf(target: EventTarget | null): SVGGElement | null {
    const el = target instanceof Element ? target.closest('g.node') : null;
    return el instanceof SVGGElement ? el : null;
  }

  private markSelected(id: string): void {
    for (const g of this.rendered?.nodes.values() ?? []) g.classList.toggle('selected', g.dataset.id === id);
    this.host.store.set('selected', id);
  }

  private activate(g: SVGGElement, reveal: boolean): void {
    const node = this.nodes.get(g.dataset.id ?? '');
    if (!node) return;
    this.markSelected(node.id);
    this.host.selected(node);
    if (reveal) this.host.post({ type: 'reveal', range: node.range });
  }

  private showTooltip(g: SVGGElement): void {
    const node = this.nodes.get(g.dataset.id ?? '');
    if (!node) return;
    replace(this.tooltip, tooltipContent(node));
    show(this.tooltip, true);
    g.setAttribute('aria-describedby', 'graph-tooltip');
    const box = this.tooltip.parentElement?.getBoundingClientRect();
    const r = g.getBoundingClientRect();
    if (!box) return;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    let x = r.right - box.left + 8;
    if (x + tw > box.width) x = Math.max(4, r.left - box.left - tw - 8);
    let y = r.top - box.top;
    if (y + th > box.height) y = Math.max(4, box.height - th - 4);
    this.tooltip.style.left = `${Math.round(x)}px`;
    this.tooltip.style.top = `${Math.round(Math.max(4, y))}px`;
  }

  private hideTooltip(): void {
    show(this.tooltip, false);
  }

  private ensureVisible(g: SVGGElement): void {
    const box = this.svg.getBoundingClientRect();
    const r = g.getBoundingClientRect();
    const margin = 24;
    let dx = 0;
    let dy = 0;
    if (r.left < box.left + margin) dx = box.left + margin - r.left;
    else if (r.right > box.right - margin) dx = box.right - margin - r.right;
    if (r.top < box.top + margin) dy = box.top + margin - r.top;
    else if (r.bottom > box.bottom - margin) dy = box.bottom - margin - r.bottom;
    if (dx || dy) this.pz.panBy(dx, dy);
  }

  private onKey(ev: KeyboardEvent): void {
    const g = this.nodeOf(ev.target);
    let handled = true;
    switch (ev.key) {
      case '+':
      case '=':
        this.pz.zoomBy(1.25);
        break;
      case '-':
      case '_':
        this.pz.zoomBy(1 / 1.25);
        break;
      case '0':
        this.fit();
        break;
      case '1':
        this.pz.zoomBy(1 / this.pz.t.k);
        break;
      case 'ArrowLeft':
        this.pz.panBy(KEY_PAN, 0);
        break;
      case 'ArrowRight':
        this.pz.panBy(-KEY_PAN, 0);
        break;
      case 'ArrowUp':
        this.pz.panBy(0, KEY_PAN);
        break;
      case 'ArrowDown':
        this.pz.panBy(0, -KEY_PAN);
        break;
      case 'Enter':
        if (g) this.activate(g, true);
        else handled = false;
        break;
      case ' ':
        if (g) this.activate(g, false);
        else handled = false;
        break;
      case 'Escape':
        this.hideTooltip();
        break;
      default:
        handled = false;
    }
    if (handled) ev.preventDefault();
  }
}
