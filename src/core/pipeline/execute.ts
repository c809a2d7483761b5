// Stage 4, execute: the leaves' values are built (the plan allowed them), then the forward pass,
// the backward pass from the root, and what only a run can tell: NaN/Inf origins, run-time
// errors, params that get no gradient, the health of activations and gradients, `expect` lines.
import { checkExpectValue } from '../checks/expect';
import { checkActivations, checkGradientFlow, checkInits, reportHealth } from '../checks/health';
import { checkLayerHealth } from '../checks/layerHealth';
import { throwIfCancelled } from '../cancel';
import type { DiagnosticSink } from '../diagnostics';
import type { Graph } from '../engine/graph';
import { adoptResidentLeaves } from '../engine/residentLeaves';
import { Execution } from '../engine/run';
import type { Expect, Program } from '../lang/ast';
import type { Span } from '../text';
import type { LeafInits } from './build';
import type { AnalysisSession, AnalyzeOptions } from './session';

export interface Run {
  ex: Execution;
  /** Whether the backward pass ran (no errors anywhere, finite values). */
  backwardRan: boolean;
}

export function execute(session: AnalysisSession, leaves: LeafInits, options: AnalyzeOptions): Run {
  const { graph, sink, program } = session;
  const res = session.resolution;
  if (!graph || !res) throw new Error('internal: execute before build');
  for (const [id, init] of leaves) graph.nodes[id].init = init();
  // With a resident pool (the language server's worker) the leaves products read are resident too.
  if (options.resultPool?.resident) adoptResidentLeaves(graph, options.resultPool);
  const ex = new Execution(graph, res.seed);
  if (options.resultPool) ex.useResultPool(options.resultPool);
  session.execution = ex;
  const cancelled = options.isCancelled;
  throwIfCancelled(cancelled);
  const issues = ex.forward({ detectNonFinite: true, cancelled });
  // An error inside a gate's backward block does not stop the backward pass: the gate's forward is
  // differentiated automatically in the block's place (lower.ts), so the rest of the file keeps
  // its gradients. Any other error does.
  const tolerated = brokenBackwardSpans(graph);
  let backwardRan = graph.root !== null && !sink.items.some((d) => d.severity === 'error' && !tolerated.some((s) => d.span.start >= s.start && d.span.end <= s.end));
  for (const issue of issues) {
    const node = graph.nodes[issue.node];
    // Inside a gate: at the gate's line that did it, with the call it happened in.
    const related = node.gateCall !== null ? { related: [{ message: 'in this call of the gate', span: graph.gateCalls[node.gateCall].span }] } : undefined;
    sink.error(issue.kind === 'error' ? 'bad-argument' : 'non-finite', issue.message, node.span, related);
    backwardRan = false; // gradients through NaN/Inf would only repeat the problem
  }
  if (backwardRan && graph.root !== null) {
    for (const issue of ex.backward(graph.root, cancelled)) {
      const node = graph.nodes[issue.node];
      sink.error(issue.kind === 'non-finite' ? 'non-finite' : 'bad-argument', issue.message, node.span);
    }
    reportFallbacks(graph, sink);
    reportUnused(program, graph, ex, session.analysis.root as string, sink);
    const findings = [...checkActivations(graph, ex, options.deadRelu), ...checkGradientFlow(graph, ex), ...checkLayerHealth(graph, ex), ...checkInits(program, graph, session.lineMap.text)];
    reportHealth(findings, sink);
    session.analysis.health = findings.map((f) => ({
      kind: f.kind,
      severity: f.severity,
      message: f.message,
      range: session.lineMap.range(f.span),
      node: graph.nodes[f.node].name ?? graph.nodes[f.node].label,
      value: f.value,
      ...(f.deadUnits ? { deadUnits: f.deadUnits } : {}),
    }));
  }
  for (const s of program.statements) {
    if (s.kind === 'expect' && s.what !== 'shape') checkExpectRun(s, graph, ex, backwardRan, sink);
  }
  return { ex, backwardRan };
}

/** The backward blocks (with errors) of gates that are differentiated automatically instead. */
function brokenBackwardSpans(graph: Graph): Span[] {
  return [...new Set(graph.gateCalls.filter((gc) => gc.autodiffFallback).map((gc) => gc.gate.decl))].flatMap((d) => (d.backward ? [d.backward.span] : []));
}

/** A note on each gate whose backward block was replaced by automatic differentiation. */
function reportFallbacks(graph: Graph, sink: DiagnosticSink): void {
  for (const decl of new Set(graph.gateCalls.filter((gc) => gc.autodiffFallback).map((gc) => gc.gate.decl))) {
    sink.info(
      'autodiff-fallback',
      `\`${decl.name}\`'s backward block has an error, so its forward pass was differentiated automatically in the block's place: the rest of the file keeps its values and gradients. ` +
        `The gate's own gradient check fails until the block is fixed.`,
      decl.nameSpan,
    );
  }
}

function reportUnused(program: Program, graph: Graph, ex: Execution, root: string, sink: DiagnosticSink): void {
  for (const s of program.statements) {
    if (s.kind !== 'decl' || s.declKind !== 'param') continue;
    const id = graph.named.get(s.name);
    if (id === undefined || ex.grads[id]) continue;
    sink.warning('unused', `\`${s.name}\` does not affect \`${root}\`, so it gets no gradient; use it or remove it`, s.nameSpan);
  }
}

function checkExpectRun(s: Expect, graph: Graph, ex: Execution, ranBackward: boolean, sink: DiagnosticSink): void {
  const id = graph.named.get(s.target);
  if (id === undefined) return; // undefined or failed statements are reported elsewhere
  const node = graph.nodes[id];
  if (s.what === 'value') {
    checkExpectValue(s, ex.values[id], null, sink);
    return;
  }
  if (!ranBackward) return; // errors elsewhere prevent the backward pass
  let reason: string | null = null;
  if (node.kind === 'const') reason = `\`${s.target}\` is a const: consts never receive gradients`;
  else if (node.type.isInt) reason = `\`${s.target}\` holds integer labels: they never receive gradients`;
  else if (!ex.grads[id]) reason = `\`${s.target}\` gets no gradient: the backward root does not depend on it`;
  checkExpectValue(s, reason ? null : ex.grads[id], reason, sink);
}
