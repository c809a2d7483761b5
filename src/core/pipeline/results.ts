// Stage 7, results: what the editor, the CLI and the dashboard read — each statement's value and
// gradient (with statistics), each gate's local names, the diagnostics with line/column ranges and
// the graph view.
import type { GateLocal, GateSummary, NodeKindOut, NodeResult } from '../model';
import type { Diagnostic, SpanDiagnostic } from '../diagnostics';
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import type { Assign, TensorDecl } from '../lang/ast';
import type { ValueType } from '../ops/op';
import { buildGraphView } from '../graphView';
import { statsOf } from '../stats';
import type { LineMap, Span } from '../text';
import { CORE_DEFAULTS, limitText } from '../defaults';
import type { AnalysisSession } from './session';

/** Fills the Analysis' nodes and graph view (values and gradients when the run happened). */
export function publishResults(session: AnalysisSession, ex: Execution | null, types: Map<string, ValueType>): void {
  const { analysis, graph } = session;
  if (!graph) return;
  analysis.nodes = nodeResults(session, ex, types);
  analysis.graphView = buildGraphView(graph, ex, toDiagnostics(session.sink.items, session.lineMap, session.sink.dropped), analysis.gradchecks, session.lineMap);
}

function nodeResults(session: AnalysisSession, ex: Execution | null, types: Map<string, ValueType>): NodeResult[] {
  const { program, graph, lineMap } = session;
  if (!graph) return [];
  const out: NodeResult[] = [];
  // What the Analysis may still carry: a tensor's arrays come whole or not at all, in statement order.
  let budget = session.maxValuesPerAnalysis ?? Infinity;
  const take = (t: { size: number } | null): boolean => {
    if (t === null || t.size > (session.maxValuesPerNode ?? Infinity) || t.size > budget) return false;
    budget -= t.size;
    return true;
  };
  for (const s of program.statements) {
    if (s.kind !== 'decl' && s.kind !== 'assign') continue;
    const id = graph.named.get(s.name);
    const t = types.get(s.name);
    if (id === undefined || !t) continue;
    // Only the statement that defined the name (not a duplicate).
    if (graph.nodes[id].span.start < s.span.start || graph.nodes[id].span.end > s.span.end) continue;
    const node = graph.nodes[id];
    const value = ex?.values[id] ?? null;
    const grad = ex?.grads[id] ?? null;
    const withValue = take(value);
    const withGrad = take(grad);
    const kind: NodeKindOut = s.kind === 'decl' ? s.declKind : 'node';
    const r: NodeResult = {
      name: s.name,
      kind,
      shape: [...node.sizes],
      // Derived dimensions (a pooled size, a reshape's -1) read better as numbers.
      dims: t.shape.map((d) => (d.origin === 'derived' && d.size !== null ? String(d.size) : d.sym)),
      isInt: t.isInt,
      range: lineMap.range(s.nameSpan),
      statementRange: lineMap.range(s.span),
      shapeWritten: s.kind === 'decl' ? !!s.type?.shape : false,
      value: value && withValue ? value.data.slice() : null,
      grad: grad && withGrad ? grad.data.slice() : null,
      truncated: (value !== null && !withValue) || (grad !== null && !withGrad),
      valueStats: value ? statsOf(value) : null,
      gradStats: grad ? statsOf(grad) : null,
    };
    const rec = boundedRecords(ex?.records.get(id) ?? recordsInside(graph, ex, s));
    if (rec) r.records = rec;
    out.push(r);
  }
  return out;
}

/** A record's series longer than CORE_DEFAULTS.maxStepSeries are left out (the editor would get all of them). */
function boundedRecords(rec: Record<string, number[]> | undefined): Record<string, number[]> | undefined {
  if (!rec) return undefined;
  const kept = Object.entries(rec).filter(([, a]) => a.length <= CORE_DEFAULTS.maxStepSeries);
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/** Records published by ops inside a statement (e.g. the rnn in `h = rnn(…)[-1]`). */
function recordsInside(graph: Graph, ex: Execution | null, s: Assign | TensorDecl): Record<string, number[]> | undefined {
  if (!ex || s.kind !== 'assign') return undefined;
  for (const [id, rec] of ex.records) {
    const n = graph.nodes[id];
    if (n.span.start >= s.span.start && n.span.end <= s.span.end) return rec;
  }
  return undefined;
}

export function toDiagnostics(items: SpanDiagnostic[], lineMap: LineMap, dropped = 0): Diagnostic[] {
  const sorted = [...items].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  const out = sorted.map((d) => {
    const out: Diagnostic = { severity: d.severity, code: d.code, message: d.message, range: lineMap.range(d.span) };
    if (d.related?.length) out.related = d.related.map((r) => ({ message: r.message, range: lineMap.range(r.span) }));
    if (d.fixes?.length) out.fixes = d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ range: lineMap.range(e.span), newText: e.newText })) }));
    return out;
  });
  const last = out[out.length - 1];
  if (dropped > 0 && last) {
    out.push({
      severity: 'warning',
      code: 'too-large',
      message: `${limitText(dropped)} more problem${dropped === 1 ? ' is' : 's are'} not listed: GradLens reports at most ${limitText(out.length)} per file. Fix these first`,
      range: last.range,
    });
  }
  return out;
}

/** What the editor shows about gates: ranges, local names with shapes, values at the first call. */
export function gateSummaries(session: AnalysisSession, ex: Execution | null): GateSummary[] {
  const { program, resolution, graph, lineMap } = session;
  if (!resolution) return [];
  const out: GateSummary[] = [];
  for (const s of program.statements) {
    if (s.kind !== 'gate') continue;
    const info = resolution.gates.get(s.name);
    if (!info || info.decl !== s) continue;
    const types = session.gateTypes.get(s.name) ?? new Map<string, ValueType>();
    const call = graph?.gateCalls.find((c) => c.gate === info) ?? null;
    const local = (name: string, span: Span, role: GateLocal['role'], shapeWritten: boolean): GateLocal => {
      const t = types.get(name);
      const id = call?.names.get(name);
      const v = id !== undefined ? ex?.values[id] : null;
      // Forward names inside a gate with a backward block get their gradient through the block.
      const g = id !== undefined ? ex?.grads[id] : null;
      return {
        name,
        range: lineMap.range(span),
        dims: t ? t.shape.map((d) => d.sym) : [],
        shapeWritten,
        role,
        valueStats: v ? statsOf(v) : null,
        gradStats: g ? statsOf(g) : null,
        shape: v ? [...v.shape] : null,
      };
    };
    const locals: GateLocal[] = [
      ...s.params.map((p) => local(p.name, p.nameSpan, 'input', true)),
      // The output's shape is written in the header (`-> out: [N, M]`): no hint for it.
      ...s.body.map((a) => (a.name === s.output.name ? local(a.name, a.nameSpan, 'output', true) : local(a.name, a.nameSpan, 'intermediate', false))),
    ];
    if (s.backward) {
      locals.push(local(info.doutName, s.output.nameSpan, 'upstream', true));
      for (const a of s.backward.body) locals.push(local(a.name, a.nameSpan, 'backward', false));
    }
    out.push({
      name: s.name,
      range: lineMap.range(s.span),
      headerRange: lineMap.range(s.headerSpan),
      backwardRange: s.backward ? lineMap.range(s.backward.span) : null,
      inputs: s.params.map((p) => p.name),
      output: s.output.name,
      calls: graph?.gateCalls.filter((c) => c.gate === info).length ?? 0,
      locals,
    });
  }
  return out;
}
