// Where a node runs in the source, as a call stack: the top-level statement, then for each gate
// call the line of the gate being run (its body, or its backward block). Gate markers (the call's
// inputs and output) belong to the caller's line.
import type { GateCall, Graph } from '../engine/graph';
import type { Assign, Statement } from '../lang/ast';
import type { LineMap, Span } from '../text';
import type { TraceFrame } from './types';

function contains(outer: Span, inner: Span): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

export class Locator {
  private readonly callChains = new Map<number, TraceFrame[]>();
  private readonly statements: Statement[];

  constructor(
    private readonly graph: Graph,
    statements: Statement[],
    private readonly lineMap: LineMap,
  ) {
    this.statements = statements.filter((s) => s.kind === 'decl' || s.kind === 'assign');
  }

  /** The frames of the stack where node `id` runs, outermost first. */
  chain(id: number): TraceFrame[] {
    const n = this.graph.nodes[id];
    if (n.gateCall === null) return [this.statementFrame(n.span)];
    const gc = this.graph.gateCalls[n.gateCall];
    if (id === gc.outputNode || gc.inputNodes.includes(id)) return this.callChain(gc);
    return [...this.callChain(gc), this.gateFrame(gc, n.span)];
  }

  /** The stack at a gate call's call site. */
  private callChain(gc: GateCall): TraceFrame[] {
    let c = this.callChains.get(gc.index);
    if (!c) {
      c = gc.caller === null ? [this.statementFrame(gc.span)] : [...this.callChain(this.graph.gateCalls[gc.caller]), this.gateFrame(this.graph.gateCalls[gc.caller], gc.span)];
      this.callChains.set(gc.index, c);
    }
    return c;
  }

  private statementFrame(span: Span): TraceFrame {
    const i = this.statementAt(span);
    const at = i >= 0 ? this.statements[i].span : span;
    return this.frame('statement', at, null, false, i >= 0 ? `s${i}` : `@${at.start}`);
  }

  /** The statement containing `span` (statements are in source order), or -1. */
  private statementAt(span: Span): number {
    let lo = 0;
    let hi = this.statements.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.statements[mid].span.start <= span.start) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && contains(this.statements[found].span, span) ? found : -1;
  }

  private gateFrame(gc: GateCall, span: Span): TraceFrame {
    const decl = gc.gate.decl;
    const inBody = (list: Assign[]) => list.find((a) => contains(a.span, span));
    const body = inBody(decl.body);
    const block = body ? undefined : inBody(decl.backward?.body ?? []);
    const at = (body ?? block)?.span ?? span;
    const line = this.lineMap.position(at.start).line;
    return this.frame('gate', at, gc.index, block !== undefined, `g${gc.index}:${line}`);
  }

  private frame(kind: TraceFrame['kind'], span: Span, gateCall: number | null, inBackward: boolean, key: string): TraceFrame {
    const line = this.lineMap.position(span.start).line;
    const text = this.lineMap.text.slice(span.start, span.end).split('\n')[0].trim();
    return { kind, line, text, span, gateCall, inBackward, key };
  }
}
