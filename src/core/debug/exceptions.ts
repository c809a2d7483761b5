// What the exception breakpoints stop on, each at the stop of the line that did it, with the
// core's own messages: the first NaN/Inf of each pass (the non-finite watch's text, and the
// stability check's fix when it flagged that line), run-time errors, relus dead for the whole
// batch (the health check's finding), and — computed when the filter is on — failing gate checks,
// at the wrong `d<input>` line of the call that was checked.
import { checkGates } from '../checks/gateChecks';
import { DEFAULT_GRADCHECK } from '../checks/gradcheck';
import { checkActivations } from '../checks/health';
import { DIAGNOSTIC_CODES } from '../diagnosticCodes';
import { DiagnosticSink } from '../diagnostics';
import { reportChecks } from '../pipeline/report';
import type { Span } from '../text';
import type { Trace, TraceException } from './types';

/** The stop an event belongs to: the first stop at or after it (the deepest, for a line's end). */
export function stopOfEvent(trace: Trace, event: number): number {
  const stops = trace.stops;
  let lo = 0;
  let hi = stops.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (stops[mid].event >= event) {
      found = mid;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return found;
}

const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;

/** The static stability finding on the same line, if the core made one: it names the fix. */
function knownFix(trace: Trace, at: Span): string {
  const found = trace.session.sink.items.find((d) => (d.code === 'unstable-softmax' || d.code === 'unstable-log') && overlaps(d.span, at));
  return found ? found.message : DIAGNOSTIC_CODES['non-finite'].fix;
}

export function runExceptions(trace: Trace): TraceException[] {
  const out: TraceException[] = [];
  trace.events.forEach((e, i) => {
    for (const issue of e.issues) {
      const stop = stopOfEvent(trace, i);
      if (stop < 0) continue;
      const frames = trace.stops[stop].frames;
      if (issue.kind === 'error') {
        out.push({ filter: 'error', stop, node: issue.node, title: 'run-time error', message: issue.message, fix: null });
      } else {
        out.push({ filter: 'nonfinite', stop, node: issue.node, title: DIAGNOSTIC_CODES['non-finite'].title, message: issue.message, fix: knownFix(trace, frames[frames.length - 1].span) });
      }
    }
  });
  const forwardEvent = new Map<number, number>();
  trace.events.forEach((e, i) => e.kind === 'forward' && forwardEvent.set(e.node, i));
  for (const f of checkActivations(trace.graph, trace.execution)) {
    // All units dead: nothing at all flows back through this relu.
    if (f.kind !== 'dead-relu' || f.value < 1) continue;
    const event = forwardEvent.get(f.node);
    const stop = event === undefined ? -1 : stopOfEvent(trace, event);
    if (stop >= 0) out.push({ filter: 'dead-relu', stop, node: f.node, title: DIAGNOSTIC_CODES['dead-relu'].title, message: f.message, fix: null });
  }
  return out.sort((a, b) => a.stop - b.stop);
}

const gateChecks = new WeakMap<Trace, TraceException[]>();

/** Failing gate checks, each at its `d<input>` line in the backward block of the call checked (computed once). */
export function gateCheckExceptions(trace: Trace): TraceException[] {
  const known = gateChecks.get(trace);
  if (known) return known;
  const { graph, execution } = trace;
  const checks = checkGates(graph, execution, trace.seed, DEFAULT_GRADCHECK).checks.filter((c) => c.verdict === 'fail');
  const sink = new DiagnosticSink();
  reportChecks(checks, graph, sink, DEFAULT_GRADCHECK.thresholds);
  const out: TraceException[] = [];
  for (const c of checks) {
    const line = trace.lineMap.position(c.span.start).line;
    const stop = trace.stops.find((s) => {
      const f = s.frames[s.frames.length - 1];
      return s.phase === 'backward' && f.kind === 'gate' && f.gateCall === c.gateCall && f.inBackward && f.line === line;
    });
    if (!stop) continue; // that call's block never ran: its output does not reach the root
    const message = sink.items.find((d) => d.code === 'gradcheck-failed' && d.span.start === c.span.start && d.span.end === c.span.end)?.message ?? `gradient check failed for ${c.target}`;
    out.push({ filter: 'gradcheck', stop: stop.index, node: stop.node, title: DIAGNOSTIC_CODES['gradcheck-failed'].title, message, fix: DIAGNOSTIC_CODES['gradcheck-failed'].fix });
  }
  out.sort((a, b) => a.stop - b.stop);
  gateChecks.set(trace, out);
  return out;
}
