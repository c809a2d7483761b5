// What the graph opens in place: a gate call's box becomes the gate's forward body (its inputs,
// operations and output, in a frame named by the gate), and a recurrent op (`rnn`, `lstm`) becomes
// its time steps, h_0 → h_1 → … with the per-step norms on the edges (long sequences show their
// first and last steps around one "⋯" node). Both close again from the frame's title. Closed is
// the default: the file's top level reads first. Pure, so it is unit-tested without a browser.
import { formatNumber, type GraphViewModel, type ViewEdge, type ViewGate, type ViewNode, type ViewSteps } from '../../src/core/browser';

/** Keys of what is open: `gate:<the call's key>` and `steps:<the op's name or id>`. */
export const GATE_KEY = 'gate:';
export const STEPS_KEY = 'steps:';
/** An unrolled op shows every step up to this many; past it, the first few, "⋯", the last few. */
export const MAX_SHOWN_STEPS = 6;
const HEAD_STEPS = 3;
const TAIL_STEPS = 2;

export interface Cluster {
  /** Its open-state key (`gate:cell#0`, `steps:hs`): the frame's title closes it. */
  key: string;
  /** The frame's title: the gate's name, or the op and its step count. */
  label: string;
  kind: 'gate' | 'steps';
  /** The drawn nodes inside the frame (nested frames' nodes included). */
  members: string[];
  /** The enclosing frame's key, if any. */
  parent: string | null;
}

/** A node the view makes up (a time step): its tooltip lines instead of tensor statistics. */
export interface SyntheticNode extends ViewNode {
  note: string[];
}

export function isSynthetic(n: ViewNode): n is SyntheticNode {
  return Array.isArray((n as Partial<SyntheticNode>).note);
}

export interface ExpandedGraph {
  view: GraphViewModel;
  clusters: Cluster[];
  /** A drawn inside node → the box that stands for it when its frame is closed (the outermost closed one). */
  ownerOf: Map<string, string>;
  /** Box id → its open-state key, for each box that opens (a gate call, a recurrent op). */
  opens: Map<string, string>;
  /** An opened box → the drawn node that stands for it (a gate's output; an unrolled op's stack). */
  standIn: Map<string, string>;
}

export function gateKey(g: ViewGate): string {
  return `${GATE_KEY}${g.key}`;
}

export function stepsKey(n: ViewNode): string {
  return `${STEPS_KEY}${n.name ?? n.id}`;
}

/** The steps shown for a sequence of `count`: all of a short one, else head, null (the "⋯"), tail. */
export function shownSteps(count: number): (number | null)[] {
  if (count <= MAX_SHOWN_STEPS) return Array.from({ length: count }, (_, t) => t);
  const head = Array.from({ length: HEAD_STEPS }, (_, t) => t);
  const tail = Array.from({ length: TAIL_STEPS }, (_, k) => count - TAIL_STEPS + k);
  return [...head, null, ...tail];
}

const at = (a: number[] | null, t: number): number | null => (a && Number.isFinite(a[t]) ? a[t] : null);

function edge(from: string, to: string, dims: string[], value: number | null, grad: number | null): ViewEdge {
  // Per-step quantities are norms (a step's slice is a tensor), so dims are kept as the slice's.
  return { from, to, value: null, valueNorm: value, grad: null, gradNorm: grad, dims };
}

/** The op's time steps in its place: nodes, the edges between them and from the op's inputs. */
function unroll(op: ViewNode, s: ViewSteps, into: ViewEdge[], nameOf: (id: string) => string): { nodes: ViewNode[]; edges: ViewEdge[] } {
  const shared = into.filter((e) => e.input !== s.sequenceInput && !s.stateInputs.includes(e.input ?? -1)).map((e) => nameOf(e.from));
  const sharedNote = shared.length ? [`${shared.join(', ')}: the same at every step (drawn into step 0; their gradients sum over the steps)`] : [];
  const shown = shownSteps(s.count);
  const stepDims = op.dims.slice(1);
  const stepShape = op.shape.slice(1);
  const idOf = (k: number) => {
    const t = shown[k];
    return t === null ? `${op.id}@…` : `${op.id}@${t}`;
  };
  const nodes: ViewNode[] = shown.map((t, k) => {
    const base = { ...op, id: idOf(k), kind: 'op' as const, dims: stepDims, shape: stepShape, value: null, grad: null, valueStats: null, gradStats: null, isRoot: false, steps: undefined };
    if (t === null) {
      const hidden = s.count - (shown.length - 1);
      return { ...base, label: `⋯ ${hidden} steps`, name: null, note: [`steps ${HEAD_STEPS} … ${s.count - TAIL_STEPS - 1} are not drawn (${hidden} steps)`, s.formula] } satisfies SyntheticNode;
    }
    const norm = (label: string, v: number | null) => `${label} ${v === null ? 'not computed' : formatNumber(v)}`;
    return {
      ...base,
      label: `step ${t}`,
      name: `h_${t}`,
      note: [s.formula, norm('‖h_t‖', at(s.valueNorms, t)), norm('‖∂L/∂h_t‖', at(s.gradNorms, t)), norm('‖∂L/∂h_{t−1}‖ sent back', at(s.carriedGradNorms, t)), ...sharedNote],
    } satisfies SyntheticNode;
  });
  const edges: ViewEdge[] = [];
  // Along the recurrence: what h_{t−1} carries forward, and the gradient step t sends back to it.
  for (let k = 1; k < shown.length; k++) {
    const prev = shown[k - 1] ?? (shown[k] as number) - 1;
    const next = shown[k] ?? (shown[k - 1] as number) + 1;
    edges.push(edge(idOf(k - 1), idOf(k), stepDims, at(s.valueNorms, prev), at(s.carriedGradNorms, next)));
  }
  // Each step's h_t into the stacked output. Its norm is already on the edge to the next step, so
  // this edge says only what the next step's cannot: the last step's h_t, and a gradient the
  // output sends a step directly (none at all when only hs[-1] is read).
  const last = shown.length - 1;
  shown.forEach((t, k) => {
    const direct = t === null ? null : at(s.outputGradNorms, t);
    const value = k === last && t !== null ? at(s.valueNorms, t) : null;
    const grad = k === last || direct ? direct : null;
    // With nothing to say, not even the shape: the edge is drawn bare.
    edges.push(edge(idOf(k), op.id, value === null && grad === null ? [] : stepDims, value, grad));
  });
  for (const e of into) {
    const input = e.input ?? -1;
    if (input === s.sequenceInput) {
      const dims = e.dims.slice(1);
      shown.forEach((t, k) => {
        if (t !== null) edges.push({ ...edge(e.from, idOf(k), dims, at(s.inputNorms, t), at(s.inputGradNorms, t)), input });
      });
    } else if (s.stateInputs.includes(input)) {
      edges.push({ ...e, to: idOf(0) });
    } else {
      // A weight every step shares enters step 0 only, with its summed gradient (an edge into every
      // step would fan across the whole frame); the steps' tooltips say it is shared.
      edges.push({ ...e, to: idOf(0) });
    }
  }
  return { nodes, edges };
}

/** Opens the gate calls and recurrent ops whose keys are in `open`; everything else stays as it is. */
export function expandGraph(view: GraphViewModel, open: ReadonlySet<string>): ExpandedGraph {
  const gates = new Map((view.gates ?? []).map((g) => [g.id, g]));
  const opens = new Map<string, string>();
  const ownerOf = new Map<string, string>();
  const clusters: Cluster[] = [];
  let nodes = view.nodes;
  let edges = view.edges;
  const parentOf = new Map<string, string>();
  const standIn = new Map<string, string>();
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k];
    const gate = n.kind === 'gate' ? gates.get(n.id) : undefined;
    if (gate) opens.set(n.id, gateKey(gate));
    if (n.steps && n.steps.count > 0) opens.set(n.id, stepsKey(n));
    const key = opens.get(n.id);
    if (!key || !open.has(key)) continue;
    const into = edges.filter((e) => e.to === n.id);
    let inner: ViewNode[];
    let added: ViewEdge[];
    let rest = edges.filter((e) => e.to !== n.id);
    if (gate) {
      inner = gate.nodes;
      added = gate.edges;
      // The call's arguments enter the gate's inputs; what used its result reads the gate's output.
      rest = rest.map((e) => (e.from === n.id ? { ...e, from: gate.output } : e));
      for (const e of into) {
        const to = gate.inputs[e.input ?? -1];
        if (to) added = [...added, { ...e, to }];
      }
      standIn.set(n.id, gate.output);
      clusters.push({ key, label: gate.label, kind: 'gate', members: inner.map((m) => m.id), parent: parentOf.get(n.id) ?? null });
    } else {
      const s = n.steps as ViewSteps;
      const u = unroll(n, s, into, (id) => {
        const src = nodes.find((m) => m.id === id);
        return src?.name ?? src?.label ?? id;
      });
      inner = [...u.nodes, { ...n, label: 'stack', steps: undefined }];
      added = u.edges;
      clusters.push({ key, label: `${n.label} · ${s.count} steps`, kind: 'steps', members: inner.map((m) => m.id), parent: parentOf.get(n.id) ?? null });
    }
    for (const m of inner) {
      if (m.id !== n.id) parentOf.set(m.id, key);
      if (!ownerOf.has(m.id)) ownerOf.set(m.id, ownerOf.get(n.id) ?? n.id);
    }
    // The inside takes the box's place in the (topological) order, so nested boxes open in turn.
    nodes = [...nodes.slice(0, k), ...inner, ...nodes.slice(k + 1)];
    edges = [...rest, ...added];
    if (!gate) k += inner.length - 1;
    else k -= 1;
  }
  // A frame inside another also counts for the outer one's members.
  for (const c of clusters) {
    for (let p = c.parent; p !== null; p = clusters.find((o) => o.key === p)?.parent ?? null) {
      const outer = clusters.find((o) => o.key === p);
      if (outer) outer.members = [...new Set([...outer.members, ...c.members])];
    }
  }
  // A box inside a box that opened too stands for the innermost drawn node.
  const resolve = (id: string): string => (standIn.has(id) && standIn.get(id) !== id ? resolve(standIn.get(id) as string) : id);
  for (const id of standIn.keys()) standIn.set(id, resolve(id));
  return { view: { ...view, nodes, edges }, clusters, ownerOf, opens, standIn };
}
