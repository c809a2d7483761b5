// Where a NaN or an Inf first appears: the node of origin in the forward pass (finite inputs, a
// non-finite value) and the first backward rule that turned a finite gradient into NaN/Inf. An
// observer of the passes (see ExecutionObserver in run.ts): the passes themselves stay short.
import { formatNumber } from '../format/number';
import { simdAllFinite } from '../tensor/simdElementwise';
import { Tensor, unravel } from '../tensor/tensor';
import type { Graph, GraphNode } from './graph';

export interface RunIssue {
  node: number;
  kind: 'non-finite' | 'error';
  message: string;
}

/** Watches one pass and reports its first non-finite value or gradient. */
export class NonFiniteWatch {
  /** Whether each node's value was all finite (forward), until the first report. */
  private readonly finite = new Map<number, boolean>();
  private reported = false;

  constructor(
    private readonly graph: Graph,
    private readonly values: readonly (Tensor | null)[],
  ) {}

  /** After node `id`'s value was computed: a NaN/Inf produced from finite inputs, or null. */
  onValue(id: number): RunIssue | null {
    if (this.reported) return null;
    const issue = this.originAt(id);
    if (issue) this.reported = true;
    return issue;
  }

  /** After node `id`'s rule sent gradient `d` to its input j from the upstream gradient. */
  onGradient(id: number, j: number, upstream: Tensor, d: Tensor): RunIssue | null {
    if (this.reported) return null;
    const issue = this.gradientAt(id, j, upstream, d);
    if (issue) this.reported = true;
    return issue;
  }

  private originAt(id: number): RunIssue | null {
    const node = this.graph.nodes[id];
    const v = this.values[id];
    if (!v) return null;
    const bad = countNonFinite(v);
    this.finite.set(id, bad.count === 0);
    if (bad.count === 0) return null;
    if (node.kind === 'op' && node.inputs.some((i) => this.finite.get(i) === false)) return null;
    const what = bad.nan > 0 && bad.inf > 0 ? 'NaN and Inf' : bad.nan > 0 ? 'NaN' : 'Inf';
    const where = v.rank === 0 ? '' : ` (first at [${unravel(bad.first, v.shape).join(', ')}])`;
    const inputs = node.kind === 'op' ? node.inputs.map((i) => describeRange(this.graph.nodes[i], this.values[i] as Tensor)).join('; ') : '';
    const label = node.kind === 'op' ? `\`${node.label}\` produced` : `\`${node.name ?? node.label}\` holds`;
    return {
      node: id,
      kind: 'non-finite',
      message: `${label} ${what} in ${bad.count} of ${v.size} entries${where}${inputs ? `; inputs: ${inputs}` : ''}`,
    };
  }

  private gradientAt(id: number, j: number, upstream: Tensor, d: Tensor): RunIssue | null {
    // A gradient passed on as it came (an add's) is finite exactly when the upstream one is, and a
    // non-finite upstream is never reported here: nothing to scan.
    if (d === upstream) return null;
    // Every other gradient is scanned: the quick test first, the count only when something is off.
    if (allFinite(d.data)) return null;
    const bad = countNonFinite(d);
    if (bad.count === 0 || countNonFinite(upstream).count > 0) return null;
    const node = this.graph.nodes[id];
    const input = this.graph.nodes[node.inputs[j]];
    const what = bad.nan > 0 ? 'NaN' : 'Inf';
    const where = d.rank === 0 ? '' : ` (first at [${unravel(bad.first, d.shape).join(', ')}])`;
    const x = this.values[node.inputs[j]] as Tensor;
    return {
      node: id,
      kind: 'non-finite',
      message: `the backward pass of \`${node.label}\` turned a finite gradient into ${what} for ${input.name ? `\`${input.name}\`` : 'its input'}${where}: its local derivative is infinite there (${describeRange(input, x)})`,
    };
  }
}

/**
 * Whether every entry is finite: x·0 is ±0 for a finite x and NaN otherwise, and a NaN survives
 * the sum. Four independent sums and no branch per entry: about 2.5 times faster than counting.
 * A long buffer is scanned on WebAssembly SIMD, copy included about twice as fast again.
 */
export function allFinite(d: Float64Array): boolean {
  const simd = simdAllFinite(d);
  if (simd !== null) return simd;
  let a = 0;
  let b = 0;
  let c = 0;
  let e = 0;
  const n = d.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a += d[i] * 0;
    b += d[i + 1] * 0;
    c += d[i + 2] * 0;
    e += d[i + 3] * 0;
  }
  for (; i < n; i++) a += d[i] * 0;
  return a + b + c + e === 0;
}

export function countNonFinite(t: Tensor): { count: number; nan: number; inf: number; first: number } {
  let nan = 0;
  let inf = 0;
  let first = -1;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
      if (first < 0) first = i;
    }
  }
  return { count: nan + inf, nan, inf, first };
}

function describeRange(node: GraphNode, v: Tensor): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.size; i++) {
    const x = v.data[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const name = node.name ?? node.label;
  if (v.size === 1) return `${name} = ${formatNumber(v.data[0])}`;
  return `${name} in [${formatNumber(lo)}, ${formatNumber(hi)}]`;
}
