// How a stop reads in a debugger: frame names that say the phase and the gate, the exception
// filters' labels, and the values at the line ends.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { formatNumber, norm, type FrameView, type Tensor, type Trace, type TraceStop } from '../core';

export const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  { filter: 'nonfinite', label: 'NaN or Inf produced', description: 'Stop where a value or a gradient first becomes NaN or Inf (forward or backward), with the op, its inputs’ ranges and the fix when one is known.', default: false },
  { filter: 'gradcheck', label: 'Gradient check fails', description: 'Stop at the d<input> line of a gate whose hand-written backward block disagrees with central differences, with the worst entry.', default: false },
  { filter: 'dead-relu', label: 'Dead ReLU', description: 'Stop at a relu whose units are all dead (≤ 0) for every example of the batch.', default: false },
];

/** `forward q = x + y`, `backward *: f = q * z`, `backward affine › dW = X.T @ dout`. */
export function frameName(trace: Trace, stop: TraceStop, depth: number): string {
  const f = stop.frames[depth];
  const innermost = depth === stop.frames.length - 1;
  const node = trace.graph.nodes[stop.node];
  // The node a backward stop is at, when the line has several: its operator or gate.
  const op = innermost && stop.phase === 'backward' && !f.inBackward ? `${node.gateCall !== null && trace.graph.gateCalls[node.gateCall].outputNode === stop.node ? trace.graph.gateCalls[node.gateCall].gate.decl.name : node.label}: ` : '';
  if (f.kind === 'gate' && f.gateCall !== null) return `${stop.phase} ${trace.graph.gateCalls[f.gateCall].gate.decl.name} › ${op}${f.text}`;
  return `${stop.phase} ${op}${f.text}`;
}

function brief(t: Tensor): string {
  return t.rank === 0 ? formatNumber(t.data[0]) : `[${t.shape.join('×')}] ‖${formatNumber(norm(t))}‖`;
}

/** `q = 3 · ∂ -4` at the line where each name of the frame was defined. */
export function inlineValues(trace: Trace, view: FrameView): { line: number; text: string }[] {
  const out = new Map<number, string[]>();
  for (const e of [...view.parameters, ...view.locals]) {
    const line = trace.lineMap.position(trace.graph.nodes[e.node].span.start).line;
    const text = `${e.name} = ${brief(e.value)}${e.grad ? ` · ∂ ${brief(e.grad)}` : ''}`;
    out.set(line, [...(out.get(line) ?? []), text]);
  }
  return [...out].sort((a, b) => a[0] - b[0]).map(([line, texts]) => ({ line, text: texts.join('  ') }));
}

/** An exception stop in a sentence (the stopped event's text). */
export function exceptionText(e: { title: string; message: string }): string {
  return `${e.title}: ${e.message}`;
}
