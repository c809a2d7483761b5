// The dashboard: routes messages from the extension to the views, and keeps the empty, loading
// and error states. One App per page, in panel or compact (sidebar) mode.
import type { FromWebview, ToWebview } from '../src/shared/webviewProtocol';
import { rethemeCharts } from './charts/setup';
import { h, replace, show } from './dom';
import { GraphView } from './graph/view';
import { Store, TABS, type TabId, type UiState } from './state';
import { onThemeChange } from './theme';
import { ChecksView } from './views/checks';
import { CompactView } from './views/compact';
import { GradientsView } from './views/gradients';
import { Header } from './views/header';
import { LandscapeView } from './views/landscape';
import { Tabs } from './views/tabs';
import { TrainingView } from './views/training';
import type { WebviewApi } from './vscode';
import type { DashboardState } from '../src/shared/webviewProtocol';

export type Mode = 'panel' | 'compact';

export class App {
  private readonly store: Store;
  private readonly content: HTMLElement;
  private readonly message: HTMLElement;
  private readonly header: Header;
  private readonly graph: GraphView | null = null;
  private readonly gradients: GradientsView | null = null;
  private readonly checks: ChecksView | null = null;
  private readonly landscape: LandscapeView | null = null;
  private readonly training: TrainingView | null = null;
  private readonly compact: CompactView | null = null;
  private readonly tabs: Tabs<TabId> | null = null;
  private current: DashboardState | null = null;

  constructor(
    root: HTMLElement,
    api: WebviewApi<UiState>,
    readonly mode: Mode,
  ) {
    this.store = new Store(api);
    const post = (m: FromWebview) => api.postMessage(m);
    this.header = new Header(post);
    this.message = h('div', { class: 'state-message page-message', role: 'status' }, h('p', {}, 'Waiting for the analysis…'));
    if (mode === 'compact') {
      this.compact = new CompactView();
      this.content = h('div', { class: 'content', hidden: true }, this.header.problems, this.compact.el);
    } else {
      this.graph = new GraphView({ post, store: this.store, selected: (n) => n.name && this.gradients?.pick(n.name) });
      this.gradients = new GradientsView(this.store, (name) => this.focus(name), (range) => post({ type: 'reveal', range }), post);
      this.checks = new ChecksView(this.store, post);
      this.landscape = new LandscapeView(this.store, post);
      this.training = new TrainingView(this.store, post);
      const panels: Record<TabId, HTMLElement> = {
        graph: this.graph.el,
        gradients: this.gradients.el,
        checks: this.checks.el,
        landscape: this.landscape.el,
        training: this.training.el,
      };
      this.tabs = new Tabs(
        TABS.map((t) => ({ ...t, panel: h('div', {}, panels[t.id]) })),
        this.store.state.tab,
        (id) => {
          this.store.set('tab', id);
          this.shown(id);
        },
      );
      this.content = h('div', { class: 'content', hidden: true }, this.header.el, this.header.problems, this.tabs.list, this.tabs.panels);
    }
    replace(root, this.content, this.message);
    onThemeChange(() => {
      rethemeCharts();
      if (this.current) this.graph?.update(this.current.analysis, this.current.uri);
    });
    window.addEventListener('beforeunload', () => this.store.flush());
  }

  handle(msg: ToWebview): void {
    // Timed (visible in the devtools' performance panel and read by the browser tests).
    const start = performance.now();
    try {
      this.dispatch(msg);
    } catch (err) {
      this.fail(err);
    }
    performance.measure(`gradlens:${msg.type}`, { start, end: performance.now() });
  }

  private dispatch(msg: ToWebview): void {
    switch (msg.type) {
      case 'update':
        return this.update(msg.state);
      case 'empty':
        return this.empty(msg.reason);
      case 'focus':
        this.focus(msg.name);
        return;
      case 'progress':
        (msg.task === 'landscape' ? this.landscape : this.training)?.progress(msg.done, msg.total);
        return;
      case 'landscape':
        this.landscape?.result(msg.result);
        return;
      case 'training':
        this.training?.training(msg.result, msg.final);
        return;
      case 'taskError':
        (msg.task === 'landscape' ? this.landscape : this.training)?.error(msg.message);
        return;
      case 'taskCancelled':
        (msg.task === 'landscape' ? this.landscape : this.training)?.cancelled();
        return;
      case 'sweep':
        this.checks?.setSweep(msg.sweep);
        return;
      case 'showTask':
        this.tabs?.select(msg.task);
        this.shown(msg.task);
        return;
      case 'debug':
        this.graph?.follow(msg.view);
        return;
      case 'cursor':
        this.graph?.selectAtRange(msg.range);
        return;
      case 'tensor':
        // Only for the analysis shown (a reply about an older one is dropped; the view asks again).
        if (this.current && msg.uri === this.current.uri && msg.version === this.current.version) this.gradients?.tensor(msg.detail, msg.name);
        return;
    }
  }

  private update(state: DashboardState): void {
    this.current = state;
    show(this.message, false);
    show(this.content, true);
    const a = state.analysis;
    this.header.update(a, state.uri, state.version);
    if (this.compact) {
      this.compact.update(a, state.uri, state.thresholds);
      this.compact.shown();
      return;
    }
    this.graph?.update(a, state.uri);
    this.gradients?.update(a);
    this.checks?.update(a, state.thresholds);
    this.landscape?.update(a, state.version);
    this.training?.update(a);
    if (this.tabs) this.shown(this.tabs.active);
  }

  private empty(reason: string): void {
    this.current = null;
    show(this.content, false);
    show(this.message, true);
    replace(
      this.message,
      h('h2', {}, 'Open a .grad file'),
      h('p', {}, reason || 'The dashboard follows the active .grad editor.'),
      h('p', { class: 'muted' }, 'Open one of your .grad files, or run "GradLens: New Network from Example" from the Command Palette to start from a lecture example.'),
    );
  }

  private fail(err: unknown): void {
    show(this.message, true);
    replace(
      this.message,
      h('h2', { class: 'status-error' }, 'The dashboard could not draw this file'),
      h('p', {}, err instanceof Error ? err.message : String(err)),
      h('p', { class: 'muted' }, 'Edit the file to try again, or reload the dashboard ("Developer: Reload Webviews"). If it keeps happening, please report it with the file.'),
    );
  }

  private focus(name: string): void {
    if (!this.tabs || !this.graph) return;
    this.tabs.select('graph');
    this.graph.shown();
    this.graph.focusName(name);
  }

  private shown(id: TabId): void {
    if (id === 'graph') this.graph?.shown();
    else if (id === 'gradients') this.gradients?.shown();
    else if (id === 'checks') this.checks?.shown();
    else if (id === 'training') this.training?.shown();
  }
}
