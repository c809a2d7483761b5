// Runs a graph: the forward pass in topological order, then reverse-mode backward from the root.
// Gradients add up where a value is used more than once ("copy adds"); a gate with a hand-written
// backward block gets the user's gradients instead of automatic ones.
import { throwIfCancelled, type CancelCheck } from '../cancel';
import { formatNumber } from '../format/number';
import { isLabelArgument, type ForwardContext, type OpDef } from '../ops/op';
import { Tensor, sameShape, broadcastTo, unravel } from '../tensor/tensor';
import type { GateCall, Graph, GraphNode } from './graph';
import { Prng } from './prng';

export interface RunIssue {
  node: number;
  kind: 'non-finite' | 'error';
  message: string;
}

/** Values, gradients and per-node records of one run. */
export class Execution {
  readonly values: (Tensor | null)[];
  grads: (Tensor | null)[];
  readonly saved: unknown[];
  readonly kinks: (Int32Array | undefined)[];
  /** Series published by ops during backward (e.g. rnn 'timestepGradNorms'). */
  readonly records = new Map<number, Record<string, number[]>>();
  /**
   * The gradient each edge carried back, keyed `consumer:input index` (filled by backward): a
   * value used twice gets one contribution per use, and its gradient is their sum.
   */
  readonly edgeGrads = new Map<string, Tensor>();
  private readonly randomCache = new Map<number, Float64Array>();
  /** Whether each node's value was all finite, during a forward pass with detection. */
  private readonly finite = new Map<number, boolean>();

  constructor(
    readonly graph: Graph,
    readonly seed: number,
  ) {
    const n = graph.nodes.length;
    this.values = new Array<Tensor | null>(n).fill(null);
    this.grads = new Array<Tensor | null>(n).fill(null);
    this.saved = new Array<unknown>(n).fill(undefined);
    this.kinks = new Array<Int32Array | undefined>(n).fill(undefined);
  }

  /**
   * The node's uniform random numbers (dropout masks). The same numbers on every evaluation:
   * gradient checks rely on a fixed mask.
   */
  randomFor(id: number, count: number): Float64Array {
    let r = this.randomCache.get(id);
    if (!r || r.length !== count) {
      const prng = new Prng(this.seed, `node:${this.graph.nodes[id].rngKey ?? id}`);
      r = new Float64Array(count);
      for (let i = 0; i < count; i++) r[i] = prng.uniform();
      this.randomCache.set(id, r);
    }
    return r;
  }

  private context(node: GraphNode, trackKinks: boolean): ForwardContext {
    return { trackKinks, random: (count: number) => this.randomFor(node.id, count) };
  }

  /** Evaluates one node from its inputs' current values. */
  evalNode(id: number, trackKinks = false): RunIssue | null {
    const node = this.graph.nodes[id];
    if (node.kind !== 'op') {
      if (node.kind !== 'dout') this.values[id] = node.init;
      return null;
    }
    const op = node.op as OpDef;
    const inputs = node.inputs.map((i) => this.values[i] as Tensor);
    const r = op.forward(inputs, node.attrs, this.context(node, trackKinks));
    this.values[id] = r.value;
    this.saved[id] = r.saved;
    this.kinks[id] = r.kinks;
    if (r.error) return { node: id, kind: 'error', message: r.error };
    return null;
  }

  /**
   * The forward pass over `ids` (default: the whole forward order). Stops at the first run-time
   * error; reports the first node that turned finite inputs into NaN/Inf.
   */
  forward(opts: { trackKinks?: boolean; ids?: readonly number[]; detectNonFinite?: boolean; cancelled?: CancelCheck } = {}): RunIssue[] {
    const issues: RunIssue[] = [];
    let nonFiniteReported = false;
    this.finite.clear();
    for (const id of opts.ids ?? this.graph.order) {
      throwIfCancelled(opts.cancelled);
      const err = this.evalNode(id, opts.trackKinks ?? false);
      if (err) {
        issues.push(err);
        return issues;
      }
      if (opts.detectNonFinite && !nonFiniteReported) {
        const issue = this.nonFiniteOrigin(id);
        if (issue) {
          issues.push(issue);
          nonFiniteReported = true;
        }
      }
    }
    return issues;
  }

  /** A NaN/Inf produced by this node from finite inputs (the node of origin), or null. */
  private nonFiniteOrigin(id: number): RunIssue | null {
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

  /** Reverse-mode backward from the root. Returns issues found in hand-written backward blocks. */
  backward(root: number, cancelled?: CancelCheck): RunIssue[] {
    const { nodes, gateCalls } = this.graph;
    const grads = new Array<Tensor | null>(nodes.length).fill(null);
    this.grads = grads;
    const issues: RunIssue[] = [];
    const rootValue = this.values[root];
    if (!rootValue) return issues;
    grads[root] = Tensor.full(rootValue.shape, 1);
    let nonFiniteSeen = false;
    const order = this.graph.order;
    for (let k = order.length - 1; k >= 0; k--) {
      throwIfCancelled(cancelled);
      const id = order[k];
      const g = grads[id];
      if (!g) continue;
      const node = nodes[id];
      if (node.kind !== 'op') continue;
      const gc = node.gateCall !== null ? gateCalls[node.gateCall] : null;
      if (gc && gc.backward && id === gc.outputNode) {
        const dgrads = this.runBackwardBlock(gc, g, issues);
        gc.inputNodes.forEach((inp, i) => {
          const d = dgrads[i];
          if (d && nodes[inp].requiresGrad) accumulate(grads, inp, d);
        });
        continue;
      }
      if (!node.requiresGrad) continue;
      const op = node.op as OpDef;
      const inputs = node.inputs.map((i) => this.values[i] as Tensor);
      const needs = node.inputs.map((i, j) => nodes[i].requiresGrad && !isLabelArgument(op, j));
      const res = op.backward({
        inputs,
        out: this.values[id] as Tensor,
        grad: g,
        saved: this.saved[id],
        attrs: node.attrs,
        needs,
        record: (name, values) => {
          const rec = this.records.get(id) ?? {};
          rec[name] = values;
          this.records.set(id, rec);
        },
      });
      node.inputs.forEach((inp, j) => {
        const d = res[j];
        if (!needs[j] || !d) return;
        if (!nonFiniteSeen) {
          const issue = this.nonFiniteGradient(id, j, g, d);
          if (issue) {
            issues.push(issue);
            nonFiniteSeen = true;
          }
        }
        this.edgeGrads.set(`${id}:${j}`, d);
        accumulate(grads, inp, d);
      });
    }
    return issues;
  }

  /** A NaN/Inf gradient produced by this node's backward rule from a finite upstream gradient. */
  private nonFiniteGradient(id: number, j: number, upstream: Tensor, d: Tensor): RunIssue | null {
    // Every gradient is scanned: the quick test first, the count only when something is off.
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

  /** Evaluates a gate's backward block with upstream gradient `dout`; gradients per gate input. */
  runBackwardBlock(gc: GateCall, dout: Tensor, issues: RunIssue[] = []): (Tensor | null)[] {
    const bw = gc.backward;
    if (!bw) return [];
    this.values[bw.doutNode] = dout;
    for (const id of bw.nodes) {
      const err = this.evalNode(id);
      if (err) {
        issues.push(err);
        return gc.inputNodes.map(() => null);
      }
    }
    return bw.grads.map((gid, i) => {
      if (gid === null) return null;
      const v = this.values[gid] as Tensor;
      const want = this.values[gc.inputNodes[i]] as Tensor;
      if (sameShape(v.shape, want.shape)) return v;
      // `dX = 0` (a scalar) stands for zeros of X's shape; other mismatches were reported statically.
      if (v.size === 1 && v.rank === 0) return broadcastTo(v, want.shape);
      return null;
    });
  }
}

function accumulate(grads: (Tensor | null)[], id: number, d: Tensor): void {
  const cur = grads[id];
  if (!cur) {
    grads[id] = d;
    return;
  }
  // Never add in place: backward rules may hand the same tensor to several inputs.
  const sum = new Tensor(cur.shape);
  for (let i = 0; i < sum.size; i++) sum.data[i] = cur.data[i] + d.data[i];
  grads[id] = sum;
}


/**
 * Whether every entry is finite: x·0 is ±0 for a finite x and NaN otherwise, and a NaN survives
 * the sum. Four independent sums and no branch per entry: about 2.5 times faster than counting.
 */
export function allFinite(d: Float64Array): boolean {
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

