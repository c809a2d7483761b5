// Runs a graph: the forward pass in topological order, then reverse-mode backward from the root.
// Gradients add up where a value is used more than once ("copy adds"); a gate with a hand-written
// backward block gets the user's gradients instead of automatic ones. Both passes are sequences of
// steps (`forwardSteps`, `backwardSteps`): the debugger walks them one at a time, `forward`/`backward`
// run the same steps to the end in plain loops. What is not the chain rule (NaN detection, the gradient of each edge)
// happens in observers of the steps.
import { throwIfCancelled, type CancelCheck } from '../cancel';
import { isLabelArgument, type ForwardContext, type OpDef } from '../ops/op';
import { Tensor, sameShape, broadcastTo } from '../tensor/tensor';
import { enterPool, leavePool, ResultPool } from '../tensor/results';
import { residentArena } from '../tensor/matmul';
import { simdAddRows } from '../tensor/simdElementwise';
import type { GateCall, Graph, GraphNode } from './graph';
import { NonFiniteWatch, type RunIssue } from './nonFinite';
import { Prng } from './prng';
import { forgetStats } from '../stats';

export type { RunIssue } from './nonFinite';
export { allFinite, countNonFinite } from './nonFinite';

/** What a pass reports to whoever watches it; an issue returned is reported with the step. */
export interface ExecutionObserver {
  /** Node `id`'s value was just computed (forward). */
  onValue?(id: number): RunIssue | null;
  /** Node `id`'s backward rule just sent gradient `d` to its input `j`, from `upstream`. */
  onGradient?(id: number, j: number, upstream: Tensor, d: Tensor): RunIssue | null;
}

/** A gradient a backward step sent to one input of its node. */
export interface SentGradient {
  /** The input node. */
  input: number;
  /** Its position among the node's inputs (or the gate call's inputs, for a backward block). */
  index: number;
  grad: Tensor;
}

/** One step of a pass: a node evaluated, or a node's gradient pushed to its inputs. */
export type Step =
  | { phase: 'forward'; node: number; issues: RunIssue[] }
  /** One line of a gate's backward block evaluated (inside the gate call's backward step). */
  | { phase: 'backward-block'; node: number; gateCall: number; issues: RunIssue[] }
  /** The node's local rule (or its gate's backward block) applied to the upstream gradient. */
  | { phase: 'backward'; node: number; upstream: Tensor; sent: SentGradient[]; issues: RunIssue[] };

/** Values, gradients and per-node records of one run. */
/**
 * A pool for AnalyzeOptions.resultPool: what it hands out again is forgotten by statsOf's cache.
 * `resident`: the results products touch, and the leaves they read, live in the kernel's memory
 * (tensor/resident.ts); its owner clears it (or lets each analysis take the last one's) once
 * nothing reads an analysis' tensors, which it copies out (an Analysis holds copies only).
 * `residentCap`: bytes of the kernel's memory it takes at most (the rest from the heap).
 */
export function newResultPool(resident = false, residentCap = Infinity): ResultPool {
  return new ResultPool(forgetStats, resident ? residentArena() : null, residentCap);
}

const RESIDENT_VALUE = 1;
const RESIDENT_SENT = 2;
const RESIDENT_SUM = 4;

/** Execution.residentAt: which of each node's results a resident pool takes from the arena. */
function residentResults(graph: Graph): Uint8Array {
  const at = new Uint8Array(graph.nodes.length);
  for (const node of graph.nodes) {
    if (node.op?.matrixProduct) at[node.id] |= RESIDENT_VALUE | RESIDENT_SENT | RESIDENT_SUM;
    // Not its gradient's sum: what reaches an rnn's states comes from an index (a JavaScript loop).
    else if (node.op?.productsInside) at[node.id] |= RESIDENT_VALUE | RESIDENT_SENT;
    else continue;
    for (const input of node.inputs) at[input] |= RESIDENT_VALUE | RESIDENT_SUM;
  }
  // A rule sends resident gradients into a product, or into the resident sum of a weight a product
  // reads (l2's backward into W1's gradient beside the product's): adding a heap one would copy it
  // into the memory. Not into an op's sum: the rules that send those (pooling's, im2col's) are
  // JavaScript loops, slower on the shared memory.
  const residentLeafSum = (i: number) => graph.nodes[i].kind !== 'op' && (at[i] & RESIDENT_SUM) !== 0;
  for (const node of graph.nodes) if (node.inputs.some((i) => graph.nodes[i].op?.matrixProduct || residentLeafSum(i))) at[node.id] |= RESIDENT_SENT;
  // The elementwise ops after a product, or an op with products inside (a bias add, a relu: deep's
  // layers, convnet's relu after conv2d, the transformer's residual add after multihead_attention;
  // measured neutral there and on rnn), whose kernels compute on the kernel's memory in place:
  // every result of theirs too, so that no copy crosses into the memory or out of it from one
  // product to the next (conv2d reads its upstream gradient in place). Nodes come in topological order.
  const chained = new Uint8Array(graph.nodes.length);
  for (const node of graph.nodes) {
    if (!node.op?.residentKernels || !node.inputs.some((i) => graph.nodes[i].op?.matrixProduct || graph.nodes[i].op?.productsInside || chained[i])) continue;
    chained[node.id] = 1;
    at[node.id] |= RESIDENT_VALUE | RESIDENT_SENT | RESIDENT_SUM;
  }
  return at;
}

/** What a backward pass computes beside the gradients (both on unless turned off). */
export interface BackwardOptions {
  /** Scan every gradient sent for NaN/Inf and report the first rule that made one. */
  detectNonFinite?: boolean;
  /** Let the rules publish their figures (Execution.records). */
  records?: boolean;
}

export class Execution {
  readonly values: (Tensor | null)[];
  grads: (Tensor | null)[];
  readonly saved: unknown[];
  readonly kinks: (Int32Array | undefined)[];
  /** Series published by ops during backward (e.g. rnn 'timestepGradNorms'). */
  readonly records = new Map<number, Record<string, number[]>>();
  /**
   * The gradient each edge carried back (filled by backward; read with edgeGrad): a value used
   * twice gets one contribution per use, and its gradient is their sum. One slot per edge, node
   * `id`'s input `j` at edgeStart[id] + j: an array, not a map keyed by strings, because backward
   * writes every edge of every run.
   */
  private readonly edgeGrads: (Tensor | null)[];
  private readonly edgeStart: Int32Array;
  /**
   * Per node, what every pass asks of it, kept dense: reading it from the node objects (spread
   * over the heap, evicted by the tensors of a large net) was a cache miss per node and pass.
   * 1 where the node is an op; 1 where gradients flow into it; its gate's backward block when it is
   * the output of a gate call with one.
   */
  private readonly isOp: Uint8Array;
  private readonly takesGrad: Uint8Array;
  private readonly blockOf: (GateCall | null)[];
  /**
   * While results are resident (recycleResults), which results live in the kernel's memory, where
   * products read and write them in place; the others stay on the heap, where JavaScript loops
   * (im2col, pooling) read them faster than on a shared memory. Per node: its value (1) when it is
   * a matrix product or one reads it; the gradients its rule sends (2) when it is a product or
   * sends a gradient to one or to the resident sum of a leaf; the sum of its own gradient (4) when it is a
   * product or an operand of one; all three for an op with resident kernels (a bias add, a relu)
   * downstream of a product or of an op made of products (conv2d, multihead_attention, rnn).
   */
  private readonly residentAt: Uint8Array;
  private readonly randomCache = new Map<number, Float64Array>();
  /**
   * Per node, what every run hands its op alike, made at its first evaluation instead of each
   * time: the forward contexts (without and with kinks, for a pass or forward only), which inputs
   * need a gradient, and its `record` callback.
   */
  private readonly contexts: (ForwardContext | undefined)[] = [];
  private readonly needsOf: (boolean[] | undefined)[] = [];
  private readonly recorders: (((name: string, values: number[]) => void) | undefined)[] = [];
  /** The node evaluated or differentiated last (where a run that is stopped was). */
  current = -1;
  /** While results are recycled (recycleResults): the buffers of the last full run's results. */
  private pool: ResultPool | null = null;
  /** Whether the pool is this execution's own (recycleResults), not its owner's (useResultPool). */
  private ownsPool = false;

  constructor(
    readonly graph: Graph,
    readonly seed: number,
  ) {
    const n = graph.nodes.length;
    this.values = new Array<Tensor | null>(n).fill(null);
    this.grads = new Array<Tensor | null>(n).fill(null);
    this.saved = new Array<unknown>(n).fill(undefined);
    this.kinks = new Array<Int32Array | undefined>(n).fill(undefined);
    this.contexts = new Array<ForwardContext | undefined>(4 * n).fill(undefined);
    this.edgeStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) this.edgeStart[i + 1] = this.edgeStart[i] + graph.nodes[i].inputs.length;
    this.edgeGrads = new Array<Tensor | null>(this.edgeStart[n]).fill(null);
    this.isOp = new Uint8Array(n);
    this.takesGrad = new Uint8Array(n);
    this.blockOf = new Array<GateCall | null>(n).fill(null);
    this.residentAt = residentResults(graph);
    for (const node of graph.nodes) {
      this.isOp[node.id] = node.kind === 'op' ? 1 : 0;
      this.takesGrad[node.id] = node.requiresGrad ? 1 : 0;
      const gc = node.gateCall !== null ? graph.gateCalls[node.gateCall] : null;
      this.blockOf[node.id] = gc && gc.backward && node.id === gc.outputNode ? gc : null;
    }
  }

  /** The gradient the last backward pass sent along node `node`'s input `input` (null if none). */
  edgeGrad(node: number, input: number): Tensor | null {
    if (!(node >= 0 && node < this.graph.nodes.length && input >= 0 && input < this.graph.nodes[node].inputs.length)) return null;
    return this.edgeGrads[this.edgeStart[node] + input];
  }

  /** Every edge gradient the last backward pass kept. */
  edgeGradients(): Tensor[] {
    return this.edgeGrads.filter((t): t is Tensor => t !== null);
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

  private context(node: GraphNode, trackKinks: boolean, forwardOnly: boolean): ForwardContext {
    const slot = 4 * node.id + (trackKinks ? 1 : 0) + (forwardOnly ? 2 : 0);
    return (this.contexts[slot] ??= { trackKinks, forwardOnly, random: (count: number) => this.randomFor(node.id, count) });
  }

  /**
   * For a caller that runs the whole graph again and again and keeps nothing of one run's results
   * into the next (training steps, the benchmark): while on, each full forward pass hands the
   * buffers of the previous full run's values and gradients back to the ops (tensor/results.ts),
   * so a run allocates nothing that the last one did not. The values, gradients and edge gradients
   * of a run are then valid until the next full forward pass; results made before recycling was
   * turned on are never reused. Off forgets the buffers.
   *
   * `resident`: the large results live in the GEMM kernel's memory (tensor/resident.ts), where
   * products read and write them without copies. Turning recycling off then hands their memory
   * back: the last run's values, gradients and edge gradients must not be read after it (the
   * caller puts back what it kept, or runs again).
   */
  recycleResults(on: boolean, resident = false): void {
    if (on) {
      // A pool of its owner's (useResultPool) serves, unless the results are to be resident.
      if (this.pool && (this.ownsPool || !resident)) return;
      this.pool = newResultPool(resident);
      this.ownsPool = true;
      return;
    }
    if (this.ownsPool) this.pool?.clear();
    this.pool = null;
    this.ownsPool = false;
  }

  /** The gradients each edge carried in the last backward pass, to put back with restoreEdgeGradients (Train). */
  keptEdgeGradients(): (Tensor | null)[] {
    return [...this.edgeGrads];
  }

  restoreEdgeGradients(kept: readonly (Tensor | null)[]): void {
    kept.forEach((t, i) => (this.edgeGrads[i] = t));
  }

  /**
   * recycleResults with a pool that outlives this execution: the next analysis' run takes the
   * buffers of the last one's (analysis options, `resultPool`). Its owner keeps nothing of one
   * analysis' tensors once it starts the next.
   */
  useResultPool(pool: ResultPool): void {
    if (this.ownsPool) this.pool?.clear();
    this.pool = pool;
    this.ownsPool = false;
  }

  /** Evaluates one node from its inputs' current values. */
  /**
   * Evaluates node `id` from its inputs' current values. `forwardOnly`: no backward pass will read
   * this evaluation (a gradient check's ±h), so an op may leave out what it keeps for one.
   */
  evalNode(id: number, trackKinks = false, forwardOnly = false): RunIssue | null {
    const node = this.graph.nodes[id];
    this.current = id;
    if (this.isOp[id] === 0) {
      if (node.kind !== 'dout') this.values[id] = node.init;
      return null;
    }
    const op = node.op as OpDef;
    const r = op.forward(this.inputValues(node), node.attrs, this.context(node, trackKinks, forwardOnly));
    this.values[id] = r.value;
    this.saved[id] = r.saved;
    this.kinks[id] = r.kinks;
    if (r.error) return { node: id, kind: 'error', message: r.error };
    return null;
  }

  private inputValues(node: GraphNode): Tensor[] {
    const ids = node.inputs;
    const inputs = new Array<Tensor>(ids.length);
    for (let j = 0; j < ids.length; j++) inputs[j] = this.values[ids[j]] as Tensor;
    return inputs;
  }

  /**
   * The forward pass over `ids` (default: the whole forward order). Stops at the first run-time
   * error; reports the first node that turned finite inputs into NaN/Inf.
   */
  forward(opts: { trackKinks?: boolean; ids?: readonly number[]; detectNonFinite?: boolean; cancelled?: CancelCheck } = {}): RunIssue[] {
    // The steps of forwardSteps in a plain loop: a pass run to its end needs no generator, and its
    // resumptions and step objects were a tenth of a small network's overhead.
    const observer = this.nonFiniteWatch(opts.detectNonFinite === true);
    const pool = this.startForward(opts);
    const trackKinks = opts.trackKinks ?? false;
    const issues: RunIssue[] = [];
    for (const id of opts.ids ?? this.graph.order) {
      throwIfCancelled(opts.cancelled);
      const err = this.evalPooled(id, pool, trackKinks);
      const issue = err ?? observer.onValue?.(id) ?? null;
      if (issue) issues.push(issue);
      if (err) break;
    }
    throwIfCancelled(opts.cancelled);
    return issues;
  }

  /** What watches a pass for its first NaN or Inf when `on` (a scan of every result it checks), else nothing. */
  private nonFiniteWatch(on: boolean): ExecutionObserver {
    return on ? new NonFiniteWatch(this.graph, this.values) : {};
  }

  /** The forward pass one node at a time; ends after a run-time error. */
  *forwardSteps(opts: { trackKinks?: boolean; ids?: readonly number[] } = {}, observer: ExecutionObserver = {}): Generator<Step, void> {
    const pool = this.startForward(opts);
    for (const id of opts.ids ?? this.graph.order) {
      const err = this.evalPooled(id, pool, opts.trackKinks ?? false);
      const issue = err ?? observer.onValue?.(id) ?? null;
      yield { phase: 'forward', node: id, issues: issue ? [issue] : [] };
      if (err) return;
    }
  }

  /** The pool a forward pass takes its results from: only a full pass recycles (it replaces every result of the run before). */
  private startForward(opts: { ids?: readonly number[] }): ResultPool | null {
    const pool = opts.ids ? null : this.pool;
    if (pool) {
      pool.nextRun();
      // The previous run's edge gradients are in the pool's hands now.
      this.edgeGrads.fill(null);
    }
    return pool;
  }

  /** evalNode with its results from `pool`. */
  private evalPooled(id: number, pool: ResultPool | null, trackKinks: boolean): RunIssue | null {
    if (pool) pool.residentNow = (this.residentAt[id] & RESIDENT_VALUE) !== 0;
    const outer = enterPool(pool);
    try {
      return this.evalNode(id, trackKinks);
    } finally {
      leavePool(outer);
    }
  }

  /**
   * Reverse-mode backward from the root. Returns issues found in hand-written backward blocks and,
   * unless `detectNonFinite` is false, the first rule that turned a finite gradient into NaN/Inf
   * (a scan of every gradient sent: a loop that reads none of the issues, Train's steps, skips it).
   * Unless `records` is false the rules publish their figures (`records`: an rnn's per-step
   * gradient norms, a layer norm's flat rows); a loop that reads none of them skips computing them.
   */
  backward(root: number, cancelled?: CancelCheck, opts: BackwardOptions = {}): RunIssue[] {
    // backwardSteps in a plain loop (see forward); a backward block's lines still run as steps.
    const observer = this.nonFiniteWatch(opts.detectNonFinite !== false);
    const records = opts.records !== false;
    const all: RunIssue[] = [];
    const grads = this.startBackward(root);
    for (let k = this.graph.order.length - 1; k >= 0 && grads; k--) {
      const id = this.graph.order[k];
      const upstream = grads[id];
      if (!upstream || this.isOp[id] === 0) continue;
      throwIfCancelled(cancelled);
      const issues: RunIssue[] = [];
      const gc = this.blockOf[id];
      const sent = gc ? finish(this.blockGradients(gc, upstream, issues)) : this.nodeGradients(id, upstream, observer, issues, records);
      if (!sent) continue;
      this.accumulateSent(grads, sent);
      for (const issue of issues) all.push(issue);
    }
    throwIfCancelled(cancelled);
    return all;
  }

  /** `forward()` for a long task: `pace()` is awaited after every node (it yields when a slice of time is used up). */
  forwardPaced(pace: () => Promise<void>, opts: { ids?: readonly number[] } = {}): Promise<RunIssue[]> {
    return drainPaced(this.forwardSteps(opts), pace);
  }

  /** `backward()` for a long task, awaiting `pace()` after every node. */
  backwardPaced(root: number, pace: () => Promise<void>, opts: BackwardOptions = {}): Promise<RunIssue[]> {
    const observer = this.nonFiniteWatch(opts.detectNonFinite !== false);
    return drainPaced(this.backwardSteps(root, observer, opts.records !== false), pace);
  }

  /** The backward pass one node at a time, from the root to the leaves (`records`: see backward). */
  *backwardSteps(root: number, observer: ExecutionObserver = {}, records = true): Generator<Step, void> {
    const grads = this.startBackward(root);
    for (let k = this.graph.order.length - 1; k >= 0 && grads; k--) {
      const id = this.graph.order[k];
      const upstream = grads[id];
      if (!upstream || this.isOp[id] === 0) continue;
      const issues: RunIssue[] = [];
      // What the node sends its inputs: its gate's backward block when it is the output of a gate
      // call with one, else its op's rule (called directly: no generator per node).
      const gc = this.blockOf[id];
      const sent = gc ? yield* this.blockGradients(gc, upstream, issues) : this.nodeGradients(id, upstream, observer, issues, records);
      if (!sent) continue;
      this.accumulateSent(grads, sent);
      yield { phase: 'backward', node: id, upstream, sent, issues };
    }
  }

  /** Fresh gradients with the root's seeded with ones; null when the root has no value. */
  private startBackward(root: number): (Tensor | null)[] | null {
    const grads = (this.grads = new Array<Tensor | null>(this.graph.nodes.length).fill(null));
    const rootValue = this.values[root];
    if (!rootValue) return null;
    grads[root] = Tensor.full(rootValue.shape, 1);
    return grads;
  }

  /** What node `id`'s op rule sends its inputs (`records`: it may publish its figures); null when no input takes a gradient. */
  private nodeGradients(id: number, upstream: Tensor, observer: ExecutionObserver, issues: RunIssue[], records: boolean): SentGradient[] | null {
    return this.takesGrad[id] === 1 ? this.pooledRule(this.graph.nodes[id], upstream, observer, issues, records) : null;
  }

  /** Adds what a step sent to its inputs' gradients (sums from the pool while recycling). */
  private accumulateSent(grads: (Tensor | null)[], sent: SentGradient[]): void {
    const outer = enterPool(this.pool);
    try {
      for (const s of sent) {
        if (this.pool) this.pool.residentNow = (this.residentAt[s.input] & RESIDENT_SUM) !== 0;
        accumulate(grads, s.input, s.grad);
      }
    } finally {
      leavePool(outer);
    }
  }

  /** What a gate's backward block sends to the gate's inputs from `upstream` (stepped line by line). */
  private *blockGradients(gc: GateCall, upstream: Tensor, issues: RunIssue[]): Generator<Step, SentGradient[]> {
    const dgrads = yield* this.backwardBlockSteps(gc, upstream, issues);
    return gc.inputNodes.flatMap((input, index) => {
      const grad = dgrads[index];
      return grad && this.graph.nodes[input].requiresGrad ? [{ input, index, grad }] : [];
    });
  }

  /** applyRule taking its results from the pool while results are recycled. */
  private pooledRule(node: GraphNode, upstream: Tensor, observer: ExecutionObserver, issues: RunIssue[], records: boolean): SentGradient[] {
    if (this.pool) this.pool.residentNow = (this.residentAt[node.id] & RESIDENT_SENT) !== 0;
    const outer = enterPool(this.pool);
    try {
      return this.applyRule(node, upstream, observer, issues, records);
    } finally {
      leavePool(outer);
    }
  }

  /** The op's backward rule at node `node`, with the gradient of each edge kept for the graph view. */
  private applyRule(node: GraphNode, upstream: Tensor, observer: ExecutionObserver, issues: RunIssue[], records: boolean): SentGradient[] {
    const op = node.op as OpDef;
    const id = node.id;
    this.current = id;
    const needs = (this.needsOf[id] ??= node.inputs.map((i, j) => this.graph.nodes[i].requiresGrad && !isLabelArgument(op, j)));
    const res = op.backward({
      inputs: this.inputValues(node),
      out: this.values[id] as Tensor,
      grad: upstream,
      saved: this.saved[id],
      attrs: node.attrs,
      needs,
      record: records ? (this.recorders[id] ??= (name, values) => this.record(id, name, values)) : undefined,
    });
    const edges = this.edgeStart[id];
    const sent: SentGradient[] = [];
    for (let j = 0; j < node.inputs.length; j++) {
      const grad = res[j];
      if (!needs[j] || !grad) continue;
      const issue = observer.onGradient?.(id, j, upstream, grad);
      if (issue) issues.push(issue);
      this.edgeGrads[edges + j] = grad;
      sent.push({ input: node.inputs[j], index: j, grad });
    }
    return sent;
  }

  private record(id: number, name: string, values: number[]): void {
    const rec = this.records.get(id) ?? {};
    rec[name] = values;
    this.records.set(id, rec);
  }

  /** Evaluates a gate's backward block with upstream gradient `dout`; gradients per gate input. */
  runBackwardBlock(gc: GateCall, dout: Tensor, issues: RunIssue[] = []): (Tensor | null)[] {
    return finish(this.backwardBlockSteps(gc, dout, issues));
  }

  /** A gate's backward block one line at a time; returns the gradient of each gate input. */
  private *backwardBlockSteps(gc: GateCall, dout: Tensor, issues: RunIssue[]): Generator<Step, (Tensor | null)[]> {
    const bw = gc.backward;
    if (!bw) return [];
    this.values[bw.doutNode] = dout;
    for (const id of bw.nodes) {
      const err = this.evalNode(id);
      yield { phase: 'backward-block', node: id, gateCall: gc.index, issues: err ? [err] : [] };
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

/** Runs steps to their end; what they return. */
function finish<T>(steps: Generator<Step, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs a pass to its end for a long task: awaits `pace()` between steps (which may yield, or throw to stop). */
async function drainPaced(steps: Generator<Step, void>, pace: () => Promise<void>): Promise<RunIssue[]> {
  const issues: RunIssue[] = [];
  for (;;) {
    await pace();
    const r = steps.next();
    if (r.done) return issues;
    collect(r.value, issues);
  }
}

function collect(step: Step, issues: RunIssue[]): void {
  // A block line's error is also reported by its gate's backward step.
  if (step.phase !== 'backward-block') issues.push(...step.issues);
}

function accumulate(grads: (Tensor | null)[], id: number, d: Tensor): void {
  const cur = grads[id];
  if (!cur) {
    grads[id] = d;
    return;
  }
  // Never add in place: backward rules may hand the same tensor to several inputs.
  const sum = Tensor.result(cur.shape, true);
  const s = sum.data;
  const a = cur.data;
  const b = d.data;
  if (!simdAddRows(a, b, s, s.length)) for (let i = 0; i < s.length; i++) s[i] = a[i] + b[i];
  grads[id] = sum;
}
