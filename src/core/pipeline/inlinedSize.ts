// How many graph nodes a statement lowers to at least, counted on the syntax tree before anything
// is built: every operation, literal and call makes one node or more, and a gate call makes its
// whole body again (gates are inlined at every call). Gates that call the previous one twice grow
// exponentially: counting first turns 2^40 calls into one `too-large` error in microseconds, where
// lowering would build 200,000 nodes (hundreds of MB, seconds) before reaching the cap.
import type { Expr, GateDecl, Statement } from '../lang/ast';

export class InlinedSize {
  private readonly perGate = new Map<string, number>();
  private readonly visiting = new Set<string>();

  constructor(private readonly gates: ReadonlyMap<string, { decl: GateDecl }>) {}

  /** A lower bound of the nodes `s` lowers to (capped at `cap + 1`: past the cap the exact figure does not matter). */
  statement(s: Statement, cap: number): number {
    return s.kind === 'assign' ? Math.min(cap + 1, this.expr(s.expr, cap)) : 0;
  }

  private gate(name: string, cap: number): number {
    const known = this.perGate.get(name);
    if (known !== undefined) return known;
    const g = this.gates.get(name);
    // A recursive call is an error reported elsewhere: count it as one node.
    if (!g || this.visiting.has(name)) return 1;
    this.visiting.add(name);
    // An input marker per parameter, the body, an output marker; the backward block and its d<out>.
    const bw = g.decl.backward;
    let n = g.decl.params.length + 1 + (bw ? 1 : 0);
    for (const a of [...g.decl.body, ...(bw?.body ?? [])]) n = Math.min(cap + 1, n + this.expr(a.expr, cap));
    this.visiting.delete(name);
    this.perGate.set(name, n);
    return n;
  }

  private expr(e: Expr, cap: number): number {
    switch (e.kind) {
      case 'num':
      case 'bool':
      case 'list':
      case 'error':
      case 'name':
        // Names add no node; a literal or a list may fold into an attribute: count none (a lower bound).
        return 0;
      case 'unary':
        return 1 + this.expr(e.operand, cap);
      case 'transpose':
      case 'index':
        return 1 + this.expr(e.operand, cap);
      case 'binary':
        return Math.min(cap + 1, 1 + this.expr(e.left, cap) + this.expr(e.right, cap));
      case 'call': {
        let n = this.gates.has(e.callee) ? this.gate(e.callee, cap) : 1;
        for (const a of e.args) n = Math.min(cap + 1, n + this.expr(a, cap));
        return n;
      }
    }
  }
}
