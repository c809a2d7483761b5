// What GradLens' debug adapter says beyond standard DAP, declared once for the adapter and the
// extension: an event at every stop (what the dashboard needs to follow the walk) and a request
// for the values at the line ends while stopped. Other DAP clients ignore both.

/** Custom event sent at every stop (DAP event name). */
export const STOPPED_EVENT = 'gradlens.stopped';

/** Custom request: the values to show at the line ends of the current stop. */
export const INLINE_VALUES_REQUEST = 'gradlens.inlineValues';

/** The debugger's position in the ids of the dashboard's graph boxes (see viewIdsOf in the core). */
export interface DebugView {
  /** The program being debugged (a file path). */
  program: string;
  phase: 'forward' | 'backward';
  /** The box of the node the stop is at (null when it is not drawn). */
  current: string | null;
  /** 0-based line of the innermost frame. */
  line: number;
  /** Boxes with a value so far, with a gradient so far, and whose backward step has run. */
  values: string[];
  grads: string[];
  done: string[];
}

export interface InlineValuesArguments {
  /** The stack frame (DAP frame id); the top frame when absent. */
  frameId?: number;
}

export interface InlineValuesResponse {
  /** 0-based lines and what to show at their ends. */
  values: { line: number; text: string }[];
}

const MAX_IDS = 100_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ids(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= MAX_IDS && v.every((x) => typeof x === 'string' && x.length < 32);
}

/** Checks an event body (or a webview message's state) before use; null when malformed. */
export function parseDebugView(v: unknown): DebugView | null {
  if (!isObject(v)) return null;
  const { program, phase, current, line, values, grads, done } = v;
  if (typeof program !== 'string' || (phase !== 'forward' && phase !== 'backward')) return null;
  if (current !== null && (typeof current !== 'string' || current.length >= 32)) return null;
  if (typeof line !== 'number' || !Number.isInteger(line) || line < 0) return null;
  if (!ids(values) || !ids(grads) || !ids(done)) return null;
  return { program, phase, current, line, values, grads, done };
}

export function parseInlineValues(v: unknown): InlineValuesResponse | null {
  if (!isObject(v) || !Array.isArray(v.values)) return null;
  const values = v.values.filter((x): x is { line: number; text: string } => isObject(x) && typeof x.line === 'number' && Number.isInteger(x.line) && x.line >= 0 && typeof x.text === 'string');
  return values.length === v.values.length ? { values } : null;
}
