// Stage 2, build: the graph, one node per operation or leaf, with gates inlined between markers.
// Nothing of a tensor's size is allocated here: leaves get a recipe, materialised by `execute`
// once `plan` has counted the whole run against the budget.
import { Tensor } from '../tensor/tensor';
import { initRecipe, type InitRecipe } from '../engine/init';
import { GraphBuilder, GraphTooLarge } from '../engine/lower';
import type { Statement } from '../lang/ast';
import { elementsOf, nodeLimit, nodeLimitText, withinElementLimit } from './plan';
import type { AnalysisSession, AnalyzeOptions } from './session';
import type { Typed } from './typecheck';
import { InlinedSize } from './inlinedSize';

/** The leaves' initial values, by node id, built when the run starts. */
export type LeafInits = Map<number, InitRecipe>;

export function build(session: AnalysisSession, typed: Typed, options: AnalyzeOptions): LeafInits {
  const { program, sink } = session;
  const res = session.resolution;
  if (!res) throw new Error('internal: build before typecheck');
  const leaves: LeafInits = new Map();
  // The node cap, or fewer when the memory or the work the nodes themselves take would exceed the
  // budgets (plan.ts: NODE_BYTES, COST.graphNode): the cap is in bytes and time, not only nodes.
  const { limit: maxNodes, bound } = nodeLimit(options);
  const builder = new GraphBuilder(
    sink,
    res.gates,
    (g) => sink.hasErrorWithin(g.decl.span),
    (g) => g.decl.backward !== null && sink.hasErrorWithin(g.decl.backward.span),
    maxNodes,
  );

  // Counted before anything is built: exponential gate inlining is refused without lowering it.
  const counted = new InlinedSize(res.gates);
  let atLeast = 0;
  for (const s of program.statements) {
    try {
      // Only what will be lowered (a statement that did not type-check is not).
      if (s.kind === 'assign' && typed.types.has(s.name)) atLeast += counted.statement(s, maxNodes);
      if (atLeast > maxNodes) throw new GraphTooLarge(maxNodes);
      lowerStatement(s);
    } catch (e) {
      if (!(e instanceof GraphTooLarge)) throw e;
      sink.error(
        'too-large',
        `lowering this statement takes the graph past ${nodeLimitText(e.limit, bound, options)}, so nothing runs (a gate's body is inlined at every call, so gates that call gates multiply their operations); ` +
          `split the network, or call fewer gates from gates`,
        s.span,
      );
      session.graph = null;
      return leaves;
    }
  }
  const root = session.analysis.root;
  session.graph = builder.graph(root ? (builder.named.get(root) ?? null) : null);
  return leaves;

  function lowerStatement(s: Statement): void {
    if (!res) return;
    if (s.kind === 'decl') {
      const t = typed.declTypes.get(s);
      if (!t) return;
      const sizes = t.shape.map((d) => d.size ?? 0);
      if (!withinElementLimit(s, sizes, options, sink)) return;
      const given = s.declKind === 'param' ? options.paramValues?.[s.name] : undefined;
      const init = given && given.length === elementsOf(sizes) ? () => new Tensor(sizes, Float64Array.from(given)) : initRecipe(s, sizes, { seed: res.seed, dimSize: (n) => res.dims.get(n)?.size, sink });
      if (!init) return;
      const kind = s.declKind;
      const requiresGrad = kind === 'param' || (kind === 'input' && !t.isInt);
      const id = builder.addLeaf(kind, s.name, t, s.span, null, requiresGrad);
      builder.named.set(s.name, id);
      leaves.set(id, init);
    } else if (s.kind === 'assign' && typed.types.has(s.name) && !builder.named.has(s.name)) {
      builder.lowerAssign(s, typed.infer, typed.env);
    }
  }
}
