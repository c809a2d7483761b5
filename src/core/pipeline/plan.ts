// Stage 3, plan: what the run will cost — every tensor it will hold and every operation it will
// do — counted against the budget before anything of that size is allocated. A file over the
// budget gets a `too-large` diagnostic, never an out-of-memory.
import { CORE_DEFAULTS, NUMBER_SETTINGS } from '../defaults';
import type { DiagnosticSink } from '../diagnostics';
import type { Graph } from '../engine/graph';
import type { TensorDecl } from '../lang/ast';
import { formatShape } from '../shapes/shape';
import type { AnalyzeOptions } from './session';

export const DEFAULT_MAX_ELEMENTS: number = NUMBER_SETTINGS.maxElements.default;
export const DEFAULT_MAX_FLOPS: number = CORE_DEFAULTS.maxFlops;

export function elementsOf(sizes: readonly number[]): number {
  return sizes.reduce((a, b) => a * b, 1);
}

/** One declaration alone against the element limit (before its recipe is even made). */
export function withinElementLimit(s: TensorDecl, sizes: number[], options: AnalyzeOptions, sink: DiagnosticSink): boolean {
  const limit = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const n = elementsOf(sizes);
  if (n <= limit) return true;
  sink.error('too-large', `\`${s.name}\` would hold ${sizes.join('×')} = ${n.toLocaleString('en-US')} elements, over the limit of ${limit.toLocaleString('en-US')}; lower the dimension sizes (dims or --dim)`, s.nameSpan);
  return false;
}

/** The whole run — values and gradients of every node, and one forward and backward pass — against the limits. */
export function planRun(graph: Graph, options: AnalyzeOptions, sink: DiagnosticSink): boolean {
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const maxFlops = options.maxFlops ?? DEFAULT_MAX_FLOPS;
  let total = 0;
  let flops = 0;
  let largest = -1;
  let costliest = -1;
  let costliestFlops = 0;
  for (const n of graph.nodes) {
    const count = elementsOf(n.sizes);
    total += n.requiresGrad ? 2 * count : count;
    if (largest < 0 || count > elementsOf(graph.nodes[largest].sizes)) largest = n.id;
    if (n.op) {
      const c = n.op.cost ? n.op.cost(n.inputs.map((i) => graph.nodes[i].sizes), n.sizes) : count;
      const withBackward = n.requiresGrad ? 3 * c : c;
      flops += withBackward;
      if (withBackward > costliestFlops) {
        costliestFlops = withBackward;
        costliest = n.id;
      }
    }
  }
  if (total > maxElements && largest >= 0) {
    const n = graph.nodes[largest];
    sink.error(
      'too-large',
      `running this file needs ${total.toLocaleString('en-US')} tensor elements (values and gradients), over the limit of ${maxElements.toLocaleString('en-US')}; ` +
        `the largest tensor here is ${formatShape(n.type.shape)} = ${elementsOf(n.sizes).toLocaleString('en-US')} elements. Lower the dimension sizes.`,
      n.span,
    );
    return false;
  }
  if (flops > maxFlops && costliest >= 0) {
    const n = graph.nodes[costliest];
    sink.error(
      'too-large',
      `one forward and backward pass would cost about ${flops.toExponential(1)} floating-point operations, over the limit of ${maxFlops.toExponential(1)}; ` +
        `the costliest operation is this \`${n.label}\` (${costliestFlops.toExponential(1)}). Lower the dimension sizes.`,
      n.span,
    );
    return false;
  }
  return true;
}
