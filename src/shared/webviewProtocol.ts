// The one message protocol between the extension and its webviews (the dashboard panel and the
// sidebar view), shared by both bundles. Messages are discriminated unions both ways; everything
// that comes from a webview is validated with `parseFromWebview` before the extension acts on it.
import type { GradCheckThresholds } from '../core/browser';
import type { LandscapeResult, StepSweep, TrainingResult } from '../core/browser';
import type { Range } from '../core/browser';
import { parseDebugView, type DebugView } from './debugProtocol';
import { dashboardAnalysis, type DashboardAnalysis, type TensorDetail } from './dashboardModel';
import type { Analysis } from '../core/browser';

export type { LandscapeResult, TrainingResult } from '../core/browser';
export type { DebugView } from './debugProtocol';
export type { DashboardAnalysis, TensorDetail } from './dashboardModel';

export type TaskKind = 'landscape' | 'training';

/** What a dashboard needs to draw one file. */
export interface DashboardState {
  uri: string;
  version: number;
  /** The slim model (dashboardModel.ts): bounded; a tensor's histograms and values come with `tensor`. */
  analysis: DashboardAnalysis;
  /** The verdict thresholds the checks ran with (gradlens.gradientCheck.thresholds): the bands and tables use them. */
  thresholds: GradCheckThresholds;
}

export type ToWebview =
  | { type: 'update'; state: DashboardState }
  | { type: 'empty'; reason: string }
  | { type: 'focus'; name: string }
  /** The editor's selection in the shown file moved: the graph selects the node under it. */
  | { type: 'cursor'; range: Range }
  | { type: 'progress'; task: TaskKind; done: number; total: number }
  | { type: 'landscape'; result: LandscapeResult }
  | { type: 'training'; result: TrainingResult; final: boolean }
  | { type: 'taskError'; task: TaskKind; message: string }
  | { type: 'taskCancelled'; task: TaskKind }
  | { type: 'sweep'; sweep: StepSweep | null }
  /** Show the tab of a task (started from the palette, not from the tab itself). */
  | { type: 'showTask'; task: TaskKind }
  /** Where the debugger is (null: no debug session stopped in this file any more). */
  | { type: 'debug'; view: DebugView | null }
  /** The tensor a `tensor` request asked for, from the analysis of `version` (null: no such statement). */
  | { type: 'tensor'; uri: string; version: number; name: string; detail: TensorDetail | null };

/** The `update` message a dashboard is posted for an analysis: its slim model, bounded whatever the file. */
export function dashboardUpdate(uri: string, version: number, analysis: Analysis, thresholds: GradCheckThresholds): ToWebview {
  return { type: 'update', state: { uri, version, analysis: dashboardAnalysis(analysis), thresholds } };
}

/** Validates a `debug` message (the webview checks every message from the extension). */
export function parseDebugMessage(msg: Record<string, unknown>): ToWebview | null {
  if (msg.view === null) return { type: 'debug', view: null };
  const view = parseDebugView(msg.view);
  return view ? { type: 'debug', view } : null;
}

export type FromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; range: Range }
  | { type: 'runLandscape'; grid: number; span: number }
  | { type: 'runTraining'; steps: number; lr: number; momentum: number }
  | { type: 'cancel'; task: TaskKind }
  | { type: 'recheck' }
  | { type: 'sweep'; target: string; index: number[] }
  /** The histograms and values of one tensor of the shown analysis (the model sent with `update` has none). */
  | { type: 'tensor'; name: string };

export const LIMITS = {
  grid: { min: 3, max: 101 },
  span: { min: 1e-3, max: 100 },
  steps: { min: 1, max: 10_000 },
  lr: { min: 1e-8, max: 10 },
  momentum: { min: 0, max: 0.999 },
  name: 200,
  rank: 8,
} as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown, lo: number, hi: number): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : null;
}

function int(v: unknown, lo: number, hi: number): number | null {
  const n = num(v, lo, hi);
  return n !== null && Number.isInteger(n) ? n : null;
}

function position(v: unknown): { line: number; character: number } | null {
  if (!isObject(v)) return null;
  const line = int(v.line, 0, 10_000_000);
  const character = int(v.character, 0, 10_000_000);
  return line === null || character === null ? null : { line, character };
}

function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= LIMITS.name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v);
}

function task(v: unknown): TaskKind | null {
  return v === 'landscape' || v === 'training' ? v : null;
}

/** Validates a message from a webview; anything malformed is null (and ignored). */
export function parseFromWebview(msg: unknown): FromWebview | null {
  if (!isObject(msg) || typeof msg.type !== 'string') return null;
  switch (msg.type) {
    case 'ready':
    case 'recheck':
      return { type: msg.type };
    case 'reveal': {
      if (!isObject(msg.range)) return null;
      const start = position(msg.range.start);
      const end = position(msg.range.end);
      return start && end ? { type: 'reveal', range: { start, end } } : null;
    }
    case 'runLandscape': {
      const grid = int(msg.grid, LIMITS.grid.min, LIMITS.grid.max);
      const span = num(msg.span, LIMITS.span.min, LIMITS.span.max);
      return grid === null || span === null ? null : { type: 'runLandscape', grid, span };
    }
    case 'runTraining': {
      const steps = int(msg.steps, LIMITS.steps.min, LIMITS.steps.max);
      const lr = num(msg.lr, LIMITS.lr.min, LIMITS.lr.max);
      const momentum = num(msg.momentum, LIMITS.momentum.min, LIMITS.momentum.max);
      return steps === null || lr === null || momentum === null ? null : { type: 'runTraining', steps, lr, momentum };
    }
    case 'cancel': {
      const t = task(msg.task);
      return t ? { type: 'cancel', task: t } : null;
    }
    case 'tensor':
      return isName(msg.name) ? { type: 'tensor', name: msg.name } : null;
    case 'sweep': {
      if (!isName(msg.target)) return null;
      if (!Array.isArray(msg.index) || msg.index.length > LIMITS.rank) return null;
      const index = msg.index.map((i) => int(i, 0, 1 << 30));
      return index.some((i) => i === null) ? null : { type: 'sweep', target: msg.target, index: index as number[] };
    }
    default:
      return null;
  }
}

/**
 * The document a restored dashboard shows: the URI saved in its state, only when it names a
 * `.grad` file (a webview's state is data from disk; a crafted one must not make the extension
 * open and analyse anything else). Null otherwise: the dashboard then follows the active editor.
 */
export function restoredGradUri(state: unknown): string | null {
  const uri = typeof state === 'object' && state !== null ? (state as { uri?: unknown }).uri : undefined;
  if (typeof uri !== 'string' || uri.length > 4096) return null;
  const m = /^([a-z][a-z0-9+.-]*):([^?#]*)/i.exec(uri);
  if (!m || !/^(file|untitled|vscode-remote|vscode-vfs)$/i.test(m[1])) return null;
  let path: string;
  try {
    path = decodeURIComponent(m[2]);
  } catch {
    return null;
  }
  return /\.grad$/i.test(path) ? uri : null;
}
