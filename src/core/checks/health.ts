// Gradient health: the problems that make a network learn badly although every gradient is
// right — dead ReLUs, saturated sigmoid/tanh units, vanishing or exploding gradients (across
// layers and across RNN time steps), and weight inits whose scale does not suit the activation
// that follows. Each finding is data (kind, numbers, the node) and becomes a diagnostic.
import type { DiagnosticSink } from '../diagnostics';
import type { Graph, GraphNode } from '../engine/graph';
import type { Execution } from '../engine/run';
import type { Program, TensorDecl } from '../lang/ast';
import type { ActivationTrait, OpDef } from '../ops/op';
import type { Tensor } from '../tensor/tensor';
import { norm } from '../tensor/tensor';
import type { Span } from '../text';
import { NUMBER_SETTINGS } from '../defaults';
import { formatNumber } from '../format/number';
import type { HealthKind } from '../model';

export type { HealthKind } from '../model';

export const HEALTH_THRESHOLDS = {
  /** Fraction of dead units that is reported as a warning (info from `deadInfo`); settings gradlens.health.deadRelu.*. */
  deadWarn: NUMBER_SETTINGS['health.deadRelu.warn'].default,
  deadInfo: NUMBER_SETTINGS['health.deadRelu.info'].default,
  /** Smallest batch in which "zero for every example" means anything. */
  deadMinBatch: 4,
  /** Fraction of saturated outputs reported as a warning (info from `saturatedInfo`). */
  saturatedWarn: 0.5,
  saturatedInfo: 0.2,
  saturation: 0.99,
  /** Gradient-norm ratio between the first and the last layer (or time step). */
  vanishing: 1e-3,
  exploding: 1e3,
} as const;


export interface HealthFinding {
  kind: HealthKind;
  severity: 'warning' | 'info';
  message: string;
  span: Span;
  /** The node the finding is about. */
  node: number;
  /** The measured figure (a fraction of units, a norm ratio). */
  value: number;
  /** For init-scale: the replacement of the init text. */
  fix?: { title: string; span: Span; newText: string };
  /** For dead-relu: which units (the dashboard lists them). */
  deadUnits?: DeadUnitList;
  related?: { message: string; span: Span }[];
}

/** A fraction as a whole percentage, e.g. 0.456 → '46%'. */
export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Where to point for a node: inside a gate, at the gate call site too. */
export function located(graph: Graph, n: GraphNode): { span: Span; related?: { message: string; span: Span }[] } {
  if (n.gateCall === null) return { span: n.span };
  return { span: n.span, related: [{ message: 'for this call of the gate', span: graph.gateCalls[n.gateCall].span }] };
}

/** Dead units listed by index (the dashboard's list); past it only counted. */
export const MAX_LISTED_UNITS = 256;

/** Which units of a layer are dead: their index within one example (the shape after the batch axis), the first MAX_LISTED_UNITS of them. */
export interface DeadUnitList {
  /** Indices into the unit shape, e.g. [3] for unit 3 of an [N, H] activation, [c, y, x] for a conv map. */
  indices: number[][];
  /** Dead units in all (indices may hold fewer). */
  dead: number;
  /** Units of the layer. */
  units: number;
  /** The shape of one example's units. */
  unitShape: number[];
}

/** Units of a batch-first activation [N, ...]: a unit is dead if it is 0 for every example. */
function deadUnits(out: Tensor): DeadUnitList | null {
  if (out.rank < 2) return null;
  const n = out.shape[0];
  const units = out.size / n;
  const unitShape = out.shape.slice(1);
  const indices: number[][] = [];
  let dead = 0;
  for (let u = 0; u < units; u++) {
    let alive = false;
    for (let i = 0; i < n && !alive; i++) alive = out.data[i * units + u] !== 0;
    if (alive) continue;
    dead++;
    if (indices.length < MAX_LISTED_UNITS) indices.push(unravelUnit(u, unitShape));
  }
  return { indices, dead, units, unitShape };
}

function unravelUnit(flat: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = flat % shape[k];
    flat = Math.floor(flat / shape[k]);
  }
  return out;
}

/** Outputs within 1 − saturation of either value the activation saturates towards. */
function saturatedFraction([low, high]: readonly [number, number], out: Tensor): number {
  // No rounding anywhere: 1 − 0.99 is exact (Sterbenz), so high − margin is 0.99 itself for high = 1.
  const margin = 1 - HEALTH_THRESHOLDS.saturation;
  const above = high - margin;
  const below = low + margin;
  let s = 0;
  for (let i = 0; i < out.size; i++) {
    const v = out.data[i];
    if (v > above || v < below) s++;
  }
  return out.size ? s / out.size : 0;
}

function saturationEdges([low, high]: readonly [number, number]): string {
  return low === -high ? `±${high}` : `${low} or ${high}`;
}

/** The dead-unit thresholds an analysis runs with (the settings; the defaults otherwise). */
export interface DeadReluThresholds {
  info: number;
  warn: number;
}

/** One finding per activation node (a layer), never per unit. */
export function checkActivations(graph: Graph, ex: Execution, dead: DeadReluThresholds = { info: HEALTH_THRESHOLDS.deadInfo, warn: HEALTH_THRESHOLDS.deadWarn }): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const id of graph.order) {
    const n = graph.nodes[id];
    const v = ex.values[id];
    const op = n.op;
    if (!v || !op?.activation) continue;
    const act = op.activation;
    if (act.dies) {
      const d = deadUnits(v);
      if (!d || d.dead === 0) continue;
      const frac = d.dead / d.units;
      // A healthy unit looks dead in a batch of N by chance 2^-N: too small a batch says nothing.
      const batch = v.shape[0];
      if (batch < HEALTH_THRESHOLDS.deadMinBatch || frac < Math.max(dead.info, 4 * 2 ** -batch)) continue;
      out.push({
        kind: 'dead-relu',
        severity: frac >= dead.warn ? 'warning' : 'info',
        message: `${d.dead} of ${d.units} units of this ${op.name} (${percent(frac)}) are dead: ≤ 0 for every one of the ${v.shape[0]} examples, so they pass no gradient and never learn. Check the init (he for relu layers), the bias, the learning rate, or use leaky_relu.`,
        node: id,
        value: frac,
        deadUnits: d,
        ...located(graph, n),
      });
    } else if (act.saturatesAt) {
      const frac = saturatedFraction(act.saturatesAt, v);
      if (frac < HEALTH_THRESHOLDS.saturatedInfo) continue;
      const edge = saturationEdges(act.saturatesAt);
      out.push({
        kind: 'saturated',
        severity: frac >= HEALTH_THRESHOLDS.saturatedWarn ? 'warning' : 'info',
        message: `${percent(frac)} of this ${op.name}'s outputs are saturated (within 0.01 of ${edge}), where its local gradient is nearly 0: the units barely learn. Scale the input down (xavier init, normalised data) or use relu.`,
        node: id,
        value: frac,
        ...located(graph, n),
      });
    }
  }
  return out;
}

/** Weights: params of rank ≥ 2 used by a layer (an op with weights), in declaration order. */
function layerWeights(graph: Graph): GraphNode[] {
  const used = new Set<number>();
  for (const n of graph.nodes) {
    if (!n.op?.weighted) continue;
    for (const i of n.inputs) used.add(throughMarkers(graph, i));
  }
  return [...graph.named.values()].map((id) => graph.nodes[id]).filter((n) => n.kind === 'param' && n.sizes.length >= 2 && used.has(n.id));
}

/** The node a gate-input marker stands for. */
function throughMarkers(graph: Graph, id: number): number {
  let n = graph.nodes[id];
  while (n.op?.marker) n = graph.nodes[n.inputs[0]];
  return n.id;
}

export function checkGradientFlow(graph: Graph, ex: Execution): HealthFinding[] {
  const out: HealthFinding[] = [];
  const layers = layerWeights(graph).filter((n) => ex.grads[n.id]);
  if (layers.length >= 2) {
    const first = layers[0];
    const last = layers[layers.length - 1];
    const g0 = norm(ex.grads[first.id] as Tensor);
    const g1 = norm(ex.grads[last.id] as Tensor);
    const ratio = g1 > 0 ? g0 / g1 : g0 > 0 ? Infinity : 1;
    if (ratio < HEALTH_THRESHOLDS.vanishing || ratio > HEALTH_THRESHOLDS.exploding) {
      const vanishing = ratio < HEALTH_THRESHOLDS.vanishing;
      out.push({
        kind: vanishing ? 'vanishing-gradient' : 'exploding-gradient',
        severity: 'warning',
        message: `the gradient of \`${first.name}\` (the first layer, ‖∂L/∂${first.name}‖ = ${formatNumber(g0)}) is ${formatNumber(ratio, { digits: 3 })} times that of \`${last.name}\` (the last, ${formatNumber(g1)}): ` +
          (vanishing ? 'gradients vanish on their way back through the layers. Use relu with he init, or batchnorm.' : 'gradients explode on their way back through the layers. Lower the init scale (xavier/he) or normalise.'),
        node: first.id,
        value: ratio,
        span: first.span,
      });
    }
  }
  for (const [id, rec] of ex.records) {
    const norms = rec.timestepGradNorms;
    if (!norms || norms.length < 2) continue;
    const last = norms[norms.length - 1];
    const ratio = last > 0 ? norms[0] / last : 1;
    if (ratio >= HEALTH_THRESHOLDS.vanishing && ratio <= HEALTH_THRESHOLDS.exploding) continue;
    const vanishing = ratio < HEALTH_THRESHOLDS.vanishing;
    const n = graph.nodes[id];
    out.push({
      kind: vanishing ? 'vanishing-gradient' : 'exploding-gradient',
      severity: 'warning',
      message: `backprop through time: the gradient reaching step 0 is ${formatNumber(ratio, { digits: 3 })} times the one at step ${norms.length - 1} (‖∂L/∂h₀‖ = ${formatNumber(norms[0])}, ‖∂L/∂h_T‖ = ${formatNumber(last)}), so the early steps ${vanishing ? 'learn almost nothing (vanishing gradients): scale Wh towards an orthogonal matrix, or use a gated cell' : 'dominate (exploding gradients): clip gradients or shrink Wh'}.`,
      node: id,
      value: ratio,
      ...located(graph, n),
    });
  }
  return out;
}

/** The activation a weight feeds: matmul → (+ bias) → activation, following gate markers. */
function activationAfter(graph: Graph, consumers: Map<number, number[]>, id: number): { op: OpDef; activation: ActivationTrait; node: number } | null {
  let cur = id;
  for (let step = 0; step < 6; step++) {
    const next = consumers.get(cur) ?? [];
    if (next.length !== 1) return null;
    const n = graph.nodes[next[0]];
    const op = n.op;
    if (!op) return null;
    if (op.activation) return { op, activation: op.activation, node: n.id };
    if (!op.marker && !op.affine) return null;
    cur = n.id;
  }
  return null;
}

export function checkInits(program: Program, graph: Graph, text: string): HealthFinding[] {
  const consumers = new Map<number, number[]>();
  for (const id of graph.order) {
    for (const i of graph.nodes[id].inputs) {
      const list = consumers.get(i);
      if (list) list.push(id);
      else consumers.set(i, [id]);
    }
  }
  const out: HealthFinding[] = [];
  for (const s of program.statements) {
    if (s.kind !== 'decl' || s.declKind !== 'param') continue;
    const isRandn = !s.init || (s.init.kind === 'random' && s.init.dist === 'randn');
    if (!isRandn) continue;
    const id = graph.named.get(s.name);
    if (id === undefined) continue;
    const n = graph.nodes[id];
    if (n.sizes.length !== 2) continue;
    const fanIn = n.sizes[0];
    const users = (consumers.get(id) ?? []).filter((c) => graph.nodes[c].op?.matrixProduct || graph.nodes[c].op?.marker);
    for (const u of users) {
      const act = activationAfter(graph, consumers, u);
      if (!act) continue;
      const want = act.activation.init;
      const he = want === 'he';
      const std = he ? Math.sqrt(2 / fanIn) : Math.sqrt(1 / fanIn);
      if (1 / std < 2) break; // randn is close enough for a small fan-in
      const fix = initFix(s, want, text);
      out.push({
        kind: 'init-scale',
        severity: 'warning',
        message: `\`${s.name}\` starts as randn (std 1) but feeds a ${act.op.name} with fan-in ${fanIn}: its pre-activations have a std of about √${fanIn} ≈ ${formatNumber(Math.sqrt(fanIn), { digits: 3 })}, ${he ? 'so the variance grows layer after layer' : 'which saturates it'}. Use \`~ ${want}\` (std ${formatNumber(std, { digits: 2 })}).`,
        node: id,
        value: 1 / std,
        span: s.init?.span ?? s.nameSpan,
        fix,
        related: [{ message: `the ${act.op.name} it feeds`, span: graph.nodes[act.node].span }],
      });
      break;
    }
  }
  return out;
}

function initFix(s: TensorDecl, want: string, text: string): HealthFinding['fix'] {
  if (s.init && s.init.kind === 'random') return { title: `Initialise with ${want}`, span: s.init.span, newText: want };
  // No init written: append one after the type.
  const end = s.type ? s.type.span.end : s.nameSpan.end;
  return { title: `Initialise with ${want}`, span: { start: end, end }, newText: `${text[end - 1] === ' ' ? '' : ' '}~ ${want}` };
}

export function reportHealth(findings: HealthFinding[], sink: DiagnosticSink): void {
  for (const f of findings) {
    sink.add({
      severity: f.severity,
      code: f.kind,
      message: f.message,
      span: f.span,
      ...(f.related ? { related: f.related } : {}),
      ...(f.fix ? { fixes: [{ title: f.fix.title, edits: [{ span: f.fix.span, newText: f.fix.newText }] }] } : {}),
    });
  }
}
