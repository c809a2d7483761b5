// The Graph tab: toolbar (zoom, fold, search), the SVG canvas with zoom/pan and its overview, the
// tooltip, selection both ways with the editor. The layout's direction follows the panel's shape
// and the view opens readable: fitted when the graph fits at a readable size, else at that size
// around the selection or the loss.
import type { Analysis, GraphViewModel, Range } from '../../src/core/browser';
import type { ViewNode } from '../../src/core/browser';
import type { DebugView, FromWebview } from '../../src/shared/webviewProtocol';
import { h, on, replace, s, show } from '../dom';
import type { Store } from '../state';
import { layoutGraph, type Direction, type GraphLayout } from './layout';
import { measurer } from './measure';
import { chooseLayout, MAX_FIT_K, openingView, READABLE_K } from './placement';
import { markDebug } from './debugMarks';
import { findNodes, nodeAtSelection } from './find';
import { GraphSearch } from './search';
import { foldGraph, GROUP_PREFIX, type FoldedGraph } from './fold';
import { expandGraph, type ExpandedGraph } from './expand';
import { Minimap } from './minimap';
import { graphDefs, renderGraph, type RenderedGraph } from './render';
import { tooltipContent } from './tooltip';
import { PanZoom } from './viewport';

export interface GraphHost {
  post(msg: FromWebview): void;
  store: Store;
  /** A node was selected (the charts follow the selection). */
  selected(node: ViewNode): void;
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
  /** The analysis' graph, before folding. */
  private source: GraphViewModel | null = null;
  private folded: FoldedGraph | null = null;
  /** The graph with the opened gate calls and unrolled ops in place (before folding). */
  private opened: ExpandedGraph | null = null;
  private fold = true;
  private readonly expanded = new Set<string>();
  /** True while the view is where the dashboard put it (not moved by the user): a resize re-fits it. */
  private auto = true;
  private placing = false;
  private readonly search: GraphSearch;
  private readonly minimap: Minimap;
  private readonly foldButton: HTMLButtonElement;
  private resizeTimer: number | undefined;
  private lastSize = { w: 0, h: 0 };
  /** Where the debugger is, while a session is stopped in this file. */
  private debugView: DebugView | null = null;

  constructor(private readonly host: GraphHost) {
    const btn = (label: string, title: string, fn: () => void) => {
      const b = h('button', { type: 'button', class: 'icon-button', title, 'aria-label': title }, label);
      on(b, 'click', fn);
      return b;
    };
    this.summary = h('span', { class: 'graph-summary muted' });
    this.search = new GraphSearch({
      nodes: () => this.opened?.view.nodes ?? this.source?.nodes ?? [],
      mark: (nodes) => {
        const boxes = new Set(nodes.map((n) => this.boxOf(n.id)));
        for (const g of this.rendered?.nodes.values() ?? []) g.classList.toggle('match', boxes.has(g.dataset.id ?? ''));
      },
      select: (node) => this.select(node, false),
    });
    const toolbar = h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Graph view' },
      btn('−', 'Zoom out (−)', () => this.pz.zoomBy(1 / 1.25)),
      btn('+', 'Zoom in (+)', () => this.pz.zoomBy(1.25)),
      btn('Fit', 'Fit the whole graph (0)', () => this.fit()),
      btn('1:1', 'Actual size (1)', () => this.pz.zoomBy(1 / this.pz.t.k)),
      (this.foldButton = btn('Unfold', 'Show every node: constants, literals and regularisation branches (F)', () => this.toggleFold())),
      this.search.el,
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
    this.minimap = new Minimap((x, y) => {
      this.auto = false;
      this.pz.centerOn(x, y);
    });
    const canvas = h('div', { class: 'graph-canvas' }, this.svg, this.minimap.el, this.tooltip, this.empty);
    this.el = h('section', { class: 'graph-view' }, toolbar, canvas);

    this.pz = new PanZoom(this.svg, () => this.rendered?.layer ?? null, (t) => {
      this.hideTooltip();
      if (!this.placing) this.auto = false;
      this.minimap.update(t, this.pz.size());
      if (this.layout) host.store.set('viewport', { ...t, auto: this.auto });
    });
    // Maximising, restoring or dragging the panel's edge: re-layout if the shape calls for the other
    // direction, and re-fit unless the user has moved the view.
    new ResizeObserver(() => {
      if (this.resizeTimer !== undefined) clearTimeout(this.resizeTimer);
      this.resizeTimer = window.setTimeout(() => this.resized(), 80);
    }).observe(canvas);
    on(canvas, 'keydown', (ev) => this.onKey(ev));
    on(this.svg, 'click', (ev) => {
      const g = this.nodeOf(ev.target);
      const title = ev.target instanceof Element ? ev.target.closest('g.frame-title') : null;
      if (title instanceof SVGGElement && !this.pz.dragged) return this.setOpen(title.dataset.key ?? '', false);
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
    this.source = view;
    // Read before the layout redraws (which writes the current, maybe default, view back).
    const saved = store.state.viewport;
    const sameFile = store.state.uri === uri;
    if (!sameFile) {
      store.set('uri', uri);
      store.set('selected', null);
      store.set('opened', []);
      this.expanded.clear();
      this.auto = true;
    } else if (saved && this.layout === null) {
      // Reopened (a reload): the saved view wins unless the dashboard had placed it.
      this.auto = saved.auto !== false;
    }
    this.relayout();
    const errors = view.nodes.filter((n) => n.status === 'error').length;
    const warnings = view.nodes.filter((n) => n.status === 'warning').length;
    this.summary.textContent = `${view.nodes.length} nodes${errors ? ` · ${errors} failing` : ''}${warnings ? ` · ${warnings} unhealthy` : ''}`;
    if (!this.auto && saved) this.place(() => this.pz.set(saved), false);
    else this.initialView();
  }

  /** Folds, lays out (in the direction that reads best in the panel now) and draws the graph. */
  private relayout(dir?: Direction): void {
    const view = this.source;
    if (!view) return;
    this.opened = expandGraph(view, new Set(this.host.store.state.opened));
    this.folded = foldGraph(this.opened.view, { fold: this.fold, expanded: this.expanded });
    this.foldButton.textContent = this.fold ? 'Unfold' : 'Fold';
    this.foldButton.setAttribute('aria-pressed', String(!this.fold));
    const measure = measurer();
    const shown = this.folded.view;
    const frames = this.opened.clusters;
    this.layout = dir ? layoutGraph(shown, measure, dir, undefined, frames) : chooseLayout(shown, measure, this.pz.size(), frames);
    const rendered = renderGraph(this.layout);
    this.rendered?.layer.remove();
    this.svg.appendChild(rendered.layer);
    this.rendered = rendered;
    this.minimap.setLayout(this.layout);
    this.nodes = new Map(shown.nodes.map((n) => [n.id, n]));
    const selected = this.host.store.state.selected;
    const box = selected ? this.boxOf(selected) : null;
    if (box) this.markSelected(box);
    this.place(() => this.pz.set(this.pz.t), this.auto);
    if (this.debugView) this.follow(this.debugView);
  }

  private resized(): void {
    const size = this.pz.size();
    if (size.w === 0 || size.h === 0 || !this.layout) return;
    if (Math.abs(size.w - this.lastSize.w) < 2 && Math.abs(size.h - this.lastSize.h) < 2) return;
    this.lastSize = size;
    if (this.needsInitialView) {
      this.relayout();
      this.initialView();
      return;
    }
    const t = this.pz.t;
    this.relayout();
    if (this.auto) this.initialView();
    else this.place(() => this.pz.set(t), false);
  }

  /** Moves the view programmatically; `auto` says whether it counts as the dashboard's placement. */
  private place(fn: () => void, auto: boolean): void {
    this.placing = true;
    try {
      fn();
    } finally {
      this.placing = false;
    }
    this.auto = auto;
    this.host.store.set('viewport', { ...this.pz.t, auto });
  }

  /** The drawn box of a node: itself, what stands for an opened box, or the closed group that holds it. */
  private boxOf(id: string): string | null {
    id = this.opened?.standIn.get(id) ?? id;
    if (this.nodes.has(id)) return id;
    const group = this.folded?.groupOf.get(id);
    return group && this.nodes.has(group) ? group : null;
  }

  private toggleFold(): void {
    this.fold = !this.fold;
    this.expanded.clear();
    this.relayout();
    if (this.auto) this.initialView();
  }

  private openGroup(id: string): void {
    this.expanded.add(id);
    const sink = id.slice(id.indexOf(':') + 1);
    this.relayout();
    if (this.auto) this.initialView();
    const node = this.nodes.get(sink);
    if (node) this.select(node, true);
  }

  /**
   * Opens (or closes) a gate call or a recurrent op by its key; the state is kept per file, so it
   * survives the file's re-analysis and a reload of the dashboard.
   */
  private setOpen(key: string, open: boolean): void {
    const keys = new Set(this.host.store.state.opened);
    if (open) keys.add(key);
    else keys.delete(key);
    this.host.store.set('opened', [...keys]);
    this.relayout();
    if (this.auto) this.initialView();
    // The keyboard stays where it was: on what replaced the box, or on the box again.
    const focus = open ? [...(this.rendered?.layer.querySelectorAll<SVGGElement>('g.frame-title') ?? [])].find((t) => t.dataset.key === key) : this.rendered?.nodes.get([...(this.opened?.opens ?? [])].find(([, k]) => k === key)?.[0] ?? '');
    focus?.focus({ preventScroll: true });
  }

  /** Selects a node (or the box that holds it) and brings it into view at a readable size. */
  private select(node: ViewNode, reveal: boolean): void {
    const box = this.boxOf(node.id);
    if (!box || !this.layout) return;
    this.markSelected(box);
    this.host.selected(node);
    const p = this.layout.nodes.find((q) => q.node.id === box);
    if (p) this.bringIntoView(p.x, p.y);
    if (reveal) this.host.post({ type: 'reveal', range: node.range });
  }

  /** Centres a point if it is out of view or the view is too small to read. */
  private bringIntoView(x: number, y: number): void {
    const { w, h: hgt } = this.pz.size();
    const t = this.pz.t;
    const sx = t.x + x * t.k;
    const sy = t.y + y * t.k;
    const margin = 40;
    if (t.k >= READABLE_K * 0.99 && sx > margin && sx < w - margin && sy > margin && sy < hgt - margin) return;
    this.place(() => {
      if (t.k < READABLE_K) this.pz.set({ ...t, k: READABLE_K });
      this.pz.centerOn(x, y);
    }, this.auto);
  }

  /** The editor's selection moved: select the node under it (no reveal, the focus stays in the editor). */
  selectAtRange(range: Range): void {
    if (!this.source) return;
    const node = nodeAtSelection(this.opened?.view.nodes ?? this.source.nodes, range);
    if (!node) return;
    const box = this.boxOf(node.id);
    if (!box || box === this.host.store.state.selected) return;
    this.select(node, false);
  }

  /** Follows the debugger: the current node marked, values and gradients not computed yet greyed. */
  follow(view: DebugView | null): void {
    this.debugView = view;
    if (!this.rendered) return;
    // A stop inside a folded box marks the box; the box has a value (a gradient) once its output has.
    const boxed = (ids: string[]) => [...ids, ...ids.flatMap((id) => (this.folded?.groups.has(`${GROUP_PREFIX}${id}`) ? [`${GROUP_PREFIX}${id}`] : []))];
    const mapped = view && { ...view, current: view.current && (this.boxOf(view.current) ?? view.current), values: boxed(view.values), grads: boxed(view.grads), done: boxed(view.done) };
    const current = markDebug(this.rendered, mapped);
    if (current) this.ensureVisible(current);
  }

  /** Called when the tab becomes visible (a hidden SVG has no size to fit into). */
  shown(): void {
    if (!this.needsInitialView) return;
    this.relayout();
    this.initialView();
  }

  /** Selects, centres and focuses the node with this name (the "Show in graph" command). */
  focusName(name: string): boolean {
    const node = findNodes(this.opened?.view.nodes ?? this.source?.nodes ?? [], name)[0];
    const box = node ? this.boxOf(node.id) : null;
    const g = box ? this.rendered?.nodes.get(box) : undefined;
    if (!node || !g || !this.layout) return false;
    this.select(node, false);
    g.focus({ preventScroll: true });
    g.classList.add('flash');
    setTimeout(() => g.classList.remove('flash'), 1200);
    return true;
  }

  fit(): void {
    if (this.layout) {
      const layout = this.layout;
      this.place(() => this.pz.fit(layout.width, layout.height, MAX_FIT_K), true);
    }
  }

  /**
   * A graph that fits at a readable size is fitted; a larger one opens at the readable size around
   * the selection, else the loss (the root), with the overview showing where that is.
   */
  private initialView(): void {
    const layout = this.layout;
    const { w, h: hgt } = this.pz.size();
    if (!layout || w === 0 || hgt === 0) {
      this.needsInitialView = true;
      return;
    }
    this.needsInitialView = false;
    this.lastSize = { w, h: hgt };
    const selected = this.host.store.state.selected;
    const at = layout.nodes.find((p) => p.node.id === selected) ?? null;
    this.place(() => this.pz.set(openingView(layout, { w, h: hgt }, at)), true);
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
    const id = g.dataset.id ?? '';
    if (this.folded?.groups.has(id)) {
      this.openGroup(id);
      return;
    }
    const node = this.nodes.get(id);
    if (!node) return;
    const opens = this.opened?.opens.get(id);
    if (opens) {
      // A gate call or a recurrent op opens in place (and its line is revealed like any node's).
      if (reveal) this.host.post({ type: 'reveal', range: node.range });
      this.setOpen(opens, true);
      return;
    }
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
    const title = ev.target instanceof Element ? ev.target.closest('g.frame-title') : null;
    if (title instanceof SVGGElement && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      this.setOpen(title.dataset.key ?? '', false);
      return;
    }
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
      case 'f':
      case 'F':
        this.toggleFold();
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
