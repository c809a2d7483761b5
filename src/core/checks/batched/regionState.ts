// What the strategies of one region share across its evaluations: the unperturbed execution,
// scratch copies of operands, and per-node caches (kink sides, broadcast index maps, term sums).
import type { Graph, GraphNode } from '../../engine/graph';
import type { Execution } from '../../engine/run';
import type { ForwardContext, OpDef } from '../../ops/op';
import { broadcastStrides, sizeOf, type Tensor } from '../../tensor/tensor';

export interface IndexMap {
  /** Output entry → operand entry. */
  fwd: Int32Array;
  /** Operand entry i → output entries inv[invStart[i] … invStart[i+1]). */
  invStart: Int32Array;
  inv: Int32Array;
}

export class RegionState {
  /** Copies of unperturbed values, perturbed in place and restored after each use. */
  readonly scratch = new Map<number, Float64Array>();
  private readonly baseKinkCache = new Map<number, Int32Array | null>();
  /** Per termSum node: its unperturbed terms and the running sum before each (strategy termSum). */
  readonly termCache = new Map<number, { terms: Float64Array; before: Float64Array }>();
  private readonly maps = new Map<string, IndexMap | null>();

  constructor(
    readonly graph: Graph,
    readonly ex: Execution,
  ) {}

  /** The unperturbed value's kink sides (computed once per node). */
  baseKinks(node: GraphNode): Int32Array | null {
    let k = this.baseKinkCache.get(node.id);
    if (k === undefined) {
      const inputs = node.inputs.map((i) => this.ex.values[i] as Tensor);
      k = (node.op as OpDef).forward(inputs, node.attrs, this.context(node.id)).kinks ?? null;
      this.baseKinkCache.set(node.id, k);
    }
    return k;
  }

  scratchOf(id: number): Float64Array {
    let s = this.scratch.get(id);
    if (!s) {
      s = (this.ex.values[id] as Tensor).data.slice();
      this.scratch.set(id, s);
    }
    return s;
  }

  /** Operand k's entry for each output entry under broadcasting (null when they coincide). */
  indexMap(node: GraphNode, k: number): IndexMap | null {
    const key = `${node.id}:${k}`;
    let m = this.maps.get(key);
    if (m === undefined) {
      m = buildIndexMap(this.graph.nodes[node.inputs[k]].sizes, node.sizes);
      this.maps.set(key, m);
    }
    return m;
  }

  context(id: number): ForwardContext {
    return { trackKinks: true, forwardOnly: true, random: (count: number) => this.ex.randomFor(id, count) };
  }
}

function buildIndexMap(shape: readonly number[], outShape: readonly number[]): IndexMap | null {
  const size = sizeOf(shape);
  const n = sizeOf(outShape);
  // No axis is stretched: flat positions coincide (leading 1s do not move anything).
  if (size === n) return null;
  const rank = outShape.length;
  const st = broadcastStrides(shape, outShape);
  const fwd = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o++) {
    fwd[o] = off;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      off += st[a];
      if (idx[a] < outShape[a]) break;
      off -= st[a] * outShape[a];
      idx[a] = 0;
    }
  }
  const invStart = new Int32Array(size + 1);
  for (let o = 0; o < n; o++) invStart[fwd[o] + 1]++;
  for (let i = 0; i < size; i++) invStart[i + 1] += invStart[i];
  const fill = invStart.slice(0, size);
  const inv = new Int32Array(n);
  for (let o = 0; o < n; o++) inv[fill[fwd[o]]++] = o;
  return { fwd, invStart, inv };
}
