// The UI state that survives a reload of the webview (VS Code keeps it through setState): the tab,
// the selected node, the graph's zoom and pan, the pickers and the training inputs.
import type { WebviewApi } from './vscode';

export type TabId = 'graph' | 'gradients' | 'checks' | 'landscape' | 'training';
export const TABS: { id: TabId; label: string }[] = [
  { id: 'graph', label: 'Graph' },
  { id: 'gradients', label: 'Gradients' },
  { id: 'checks', label: 'Checks' },
  { id: 'landscape', label: 'Landscape' },
  { id: 'training', label: 'Training' },
];

export interface Viewport {
  k: number;
  x: number;
  y: number;
  /** Placed by the dashboard (fitted or centred on open), not by the user: a resize may re-place it. */
  auto?: boolean;
}

export interface UiState {
  v: 1;
  tab: TabId;
  /** File the viewport belongs to: another file starts fitted. */
  uri: string | null;
  /** Selected graph node (view id). */
  selected: string | null;
  viewport: Viewport | null;
  /** What the graph has open for this file: gate calls and unrolled ops (see graph/expand.ts). */
  opened: string[];
  histogramNode: string | null;
  checkTarget: string | null;
  training: { steps: number; lr: number; momentum: number };
  landscape: { grid: number; span: number };
}

export function defaultState(): UiState {
  return {
    v: 1,
    tab: 'graph',
    uri: null,
    selected: null,
    viewport: null,
    opened: [],
    histogramNode: null,
    checkTarget: null,
    training: { steps: 100, lr: 0.1, momentum: 0.9 },
    landscape: { grid: 41, span: 1 },
  };
}

function restore(saved: unknown): UiState {
  const d = defaultState();
  if (typeof saved !== 'object' || saved === null) return d;
  const s = saved as Partial<UiState>;
  if (s.v !== 1) return d;
  return {
    ...d,
    tab: TABS.some((t) => t.id === s.tab) ? (s.tab as TabId) : d.tab,
    uri: typeof s.uri === 'string' ? s.uri : null,
    selected: typeof s.selected === 'string' ? s.selected : null,
    viewport: s.viewport && [s.viewport.k, s.viewport.x, s.viewport.y].every(Number.isFinite) ? s.viewport : null,
    opened: Array.isArray(s.opened) ? s.opened.filter((k): k is string => typeof k === 'string' && k.length <= 400).slice(0, 200) : [],
    histogramNode: typeof s.histogramNode === 'string' ? s.histogramNode : null,
    checkTarget: typeof s.checkTarget === 'string' ? s.checkTarget : null,
    training: { ...d.training, ...(s.training ?? {}) },
    landscape: { ...d.landscape, ...(s.landscape ?? {}) },
  };
}

/** Holds the state and writes it back (debounced: zooming changes it many times a second). */
export class Store {
  readonly state: UiState;
  private timer: number | undefined;

  constructor(private readonly api: WebviewApi<UiState>) {
    this.state = restore(api.getState());
  }

  set<K extends keyof UiState>(key: K, value: UiState[K]): void {
    this.state[key] = value;
    this.save();
  }

  save(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.api.setState(this.state);
    }, 100);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.api.setState(this.state);
  }
}
