// Moves over a recorded trace like a debugger over a program: next, step in, step out, continue,
// and back (step back, reverse continue), stopping at breakpoints (conditions, hit counts), writing
// logpoints, and stopping where the enabled exception filters say. Every move goes stop by stop,
// replaying the events between them, so the state at a stop is always exactly what it was when
// the run passed there, whichever way the cursor came.
import { formatNumber } from '../format/number';
import type { Tensor } from '../tensor/tensor';
import { makeBreakpoint, type Breakpoint, type BreakpointRequest } from './breakpoints';
import { evaluateExpression, type EvalResult } from './evaluate';
import { gateCheckExceptions } from './exceptions';
import { frameView, type FrameView } from './frames';
import { TraceState } from './state';
import type { ExceptionFilter, Trace, TraceException, TraceStop } from './types';

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'exception';

export interface CursorStop {
  reason: StopReason;
  stop: TraceStop;
  /** Breakpoints that fired here. */
  breakpoints: number[];
  exception: TraceException | null;
  /** A breakpoint condition that could not be evaluated (it stops, with this message). */
  conditionError: string | null;
}

export interface MoveResult {
  /** Null: the run went past its last stop. */
  stopped: CursorStop | null;
  /** Logpoint messages written on the way. */
  output: string[];
}

export class TraceCursor {
  readonly state: TraceState;
  /** The stop index (-1 before the first move, stops.length after the end). */
  private at = -1;
  private breakpoints: Breakpoint[] = [];
  private filters = new Set<ExceptionFilter>();
  private last: CursorStop | null = null;

  constructor(readonly trace: Trace) {
    this.state = new TraceState(trace.events, trace.graph.nodes.length);
  }

  get current(): CursorStop | null {
    return this.last;
  }

  get ended(): boolean {
    return this.at >= this.trace.stops.length;
  }

  setExceptionFilters(filters: readonly string[]): void {
    this.filters = new Set(filters.filter((f): f is ExceptionFilter => f === 'nonfinite' || f === 'gradcheck' || f === 'dead-relu'));
  }

  /** Replaces every breakpoint; ones asked for again unchanged keep their hit counts. */
  setBreakpoints(requests: readonly BreakpointRequest[]): Breakpoint[] {
    const old = this.breakpoints;
    this.breakpoints = requests.map((r) => {
      const bp = makeBreakpoint(r, this.trace.stopLines, (l) => this.statementStart(l));
      const same = old.find((o) => o.requested === r.line && o.condition === bp.condition && o.hitCondition === bp.hitCondition && o.logMessage === bp.logMessage);
      if (same) bp.counted = same.counted;
      return bp;
    });
    return this.breakpoints;
  }

  /** The first stop (stopOnEntry), or on to the first breakpoint or exception. */
  start(stopOnEntry: boolean): MoveResult {
    if (stopOnEntry && this.trace.stops.length) {
      const output: string[] = [];
      this.arrive(0, output);
      return this.stopAt(0, 'entry', [], null, null, output);
    }
    return this.forward(() => false);
  }

  next(): MoveResult {
    const depth = this.depth();
    return this.forward((s) => s.frames.length - 1 <= depth);
  }

  stepIn(): MoveResult {
    return this.forward(() => true);
  }

  /** Out of the gate; at a statement, out of the pass (forward → the first backward stop; backward → the end). */
  stepOut(): MoveResult {
    const depth = this.depth();
    const phase = this.trace.stops[this.at]?.phase;
    return this.forward((s) => (depth > 0 ? s.frames.length - 1 < depth : s.phase !== phase));
  }

  continue(): MoveResult {
    return this.forward(() => false);
  }

  /** Back to the previous stop at this depth or above (the reverse of next); at the first stop, stays. */
  stepBack(): MoveResult {
    const depth = this.depth();
    return this.backward((s) => s.frames.length - 1 <= depth, false);
  }

  reverseContinue(): MoveResult {
    return this.backward(() => false, true);
  }

  /** A frame of the current stop (0: the statement), in the current state. */
  frame(depth: number): FrameView | null {
    const stop = this.last?.stop;
    return stop ? this.frameAt(stop, depth) : null;
  }

  /** Evaluates a .grad expression in a frame of the current stop. */
  evaluate(expression: string, depth: number): EvalResult {
    const stop = this.last?.stop;
    return stop ? this.evaluateAt(stop, depth, expression) : { ok: false, message: 'not stopped: nothing to evaluate in' };
  }

  private frameAt(stop: TraceStop, depth: number): FrameView | null {
    if (depth < 0 || depth >= stop.frames.length) return null;
    return frameView(this.trace, this.state, stop, depth);
  }

  private evaluateAt(stop: TraceStop, depth: number, expression: string): EvalResult {
    const view = this.frameAt(stop, depth);
    const resolution = this.trace.session.resolution;
    if (!view || !resolution) return { ok: false, message: 'not stopped: nothing to evaluate in' };
    return evaluateExpression(expression, { bindings: view.bindings, pending: view.pending, resolution, seed: this.trace.seed });
  }

  /** The exception that stopped the cursor here, or any for this stop whose filter is on. */
  exceptionAt(stop: number): TraceException | null {
    const on = (e: TraceException) => e.stop === stop && (e.filter === 'error' || this.filters.has(e.filter));
    const found = this.trace.exceptions.find(on);
    if (found) return found;
    return this.filters.has('gradcheck') ? (gateCheckExceptions(this.trace).find(on) ?? null) : null;
  }

  private depth(): number {
    const s = this.trace.stops[this.at];
    return s ? s.frames.length - 1 : 0;
  }

  private forward(target: (s: TraceStop) => boolean): MoveResult {
    const output: string[] = [];
    const stops = this.trace.stops;
    for (let k = this.at + 1; k < stops.length; k++) {
      const fired = this.arrive(k, output);
      const exception = this.exceptionAt(k);
      if (exception) return this.stopAt(k, 'exception', fired.ids, exception, null, output);
      if (fired.error) return this.stopAt(k, 'breakpoint', fired.ids, null, fired.error, output);
      if (fired.ids.length) return this.stopAt(k, 'breakpoint', fired.ids, null, null, output);
      if (target(stops[k])) return this.stopAt(k, 'step', [], null, null, output);
    }
    this.at = stops.length;
    this.state.moveTo(this.trace.events.length);
    this.last = null;
    return { stopped: null, output };
  }

  private backward(target: (s: TraceStop) => boolean, atBreakpoints: boolean): MoveResult {
    const stops = this.trace.stops;
    for (let k = this.at - 1; k >= 0; k--) {
      this.leave(k + 1);
      this.at = k;
      this.state.moveTo(stops[k].position);
      if (atBreakpoints) {
        const exception = this.exceptionAt(k);
        if (exception) return this.stopAt(k, 'exception', [], exception, null, []);
        const ids = this.breakpoints.filter((bp) => !bp.logMessage && this.fires(bp, k)).map((bp) => bp.id);
        if (ids.length) return this.stopAt(k, 'breakpoint', ids, null, null, []);
      }
      if (target(stops[k])) return this.stopAt(k, 'step', [], null, null, []);
    }
    return this.stopAt(Math.max(0, this.at), this.at <= 0 ? 'entry' : 'step', [], null, null, []);
  }

  /** Moves onto stop k going forward: counts its breakpoint hits, writes its logpoints. */
  private arrive(k: number, output: string[]): { ids: number[]; error: string | null } {
    this.at = k;
    this.state.moveTo(this.trace.stops[k].position);
    const ids: number[] = [];
    let error: string | null = null;
    for (const bp of this.breakpoints) {
      if (!bp.verified || bp.line !== this.lineOf(k)) continue;
      const cond = this.condition(bp);
      if (cond.error) {
        error = `breakpoint condition \`${bp.condition}\` on line ${bp.line + 1}: ${cond.error}`;
        ids.push(bp.id);
        continue;
      }
      if (!cond.holds) continue;
      bp.counted.add(k);
      if (bp.hit && !bp.hit(this.count(bp, k))) continue;
      if (bp.logMessage) output.push(this.interpolate(bp.logMessage));
      else ids.push(bp.id);
    }
    return { ids, error };
  }

  /** Moves off stop k going backward: it no longer counts as a hit. */
  private leave(k: number): void {
    for (const bp of this.breakpoints) bp.counted.delete(k);
  }

  private fires(bp: Breakpoint, k: number): boolean {
    if (!bp.verified || bp.line !== this.lineOf(k)) return false;
    const holds = bp.counted.has(k) || this.condition(bp).holds;
    return holds && (!bp.hit || bp.hit(this.count(bp, k) + (bp.counted.has(k) ? 0 : 1)));
  }

  private count(bp: Breakpoint, k: number): number {
    let c = 0;
    for (const j of bp.counted) if (j <= k) c++;
    return c;
  }

  private condition(bp: Breakpoint): { holds: boolean; error: string | null } {
    if (!bp.condition) return { holds: true, error: null };
    const r = this.evaluateAt(this.trace.stops[this.at], this.depth(), bp.condition);
    // A name this step has not computed yet (a gradient in the forward pass): not yet true.
    if (!r.ok) return { holds: false, error: r.pending ? null : r.message };
    if (r.value.size !== 1) return { holds: false, error: `a condition must be a single number, this is ${r.value.shape.join('×')}; reduce it, e.g. max(…) > 0` };
    return { holds: r.value.data[0] !== 0 && !Number.isNaN(r.value.data[0]), error: null };
  }

  private interpolate(message: string): string {
    return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
      const r = this.evaluateAt(this.trace.stops[this.at], this.depth(), expr);
      return r.ok ? shortText(r.value) : `<${r.message}>`;
    });
  }

  private lineOf(k: number): number {
    const s = this.trace.stops[k];
    return s.frames[s.frames.length - 1].line;
  }

  private stopAt(k: number, reason: StopReason, breakpoints: number[], exception: TraceException | null, conditionError: string | null, output: string[]): MoveResult {
    this.at = k;
    const stop = this.trace.stops[k];
    if (!stop) return { stopped: null, output };
    this.last = { reason, stop, breakpoints, exception, conditionError };
    return { stopped: this.last, output };
  }

  /** The first line of the statement (or gate line) that spans `line`, if any. */
  private statementStart(line: number): number | null {
    const lm = this.trace.lineMap;
    for (const s of this.trace.session.program.statements) {
      const spans = s.kind === 'gate' ? [...s.body, ...(s.backward?.body ?? [])].map((a) => a.span) : [s.span];
      for (const sp of spans) {
        const a = lm.position(sp.start).line;
        if (a < line && line <= lm.position(sp.end).line) return a;
      }
    }
    return null;
  }
}

/** A value in one line: a number, or its shape and first entries. */
export function shortText(t: Tensor): string {
  if (t.size === 1 && t.rank === 0) return formatNumber(t.data[0]);
  const first = Array.from(t.data.subarray(0, 6), (v) => formatNumber(v)).join(', ');
  return `[${t.shape.join('×')}] ${first}${t.size > 6 ? ', …' : ''}`;
}
