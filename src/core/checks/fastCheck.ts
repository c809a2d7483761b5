// Fast-mode gradient checks (PyTorch's gradcheck(fast_mode=True), JAX's check_grads): instead of
// one central difference per entry, one along a random unit direction u of the whole tensor. The
// scalar checked is f = root (param/input checks) or f = voutᵀ·y with the random upstream
// gradient vout (gate checks), so comparing the directional derivative (f(x+hu) − f(x−hu))/2h with
// gradᵀu is comparing vᵀJu: every entry is covered by two evaluations.
//
// The direction of a matrix is the outer product of two random unit vectors, of any other tensor
// dense (direction.ts, where the two are shown to check alike).
//
// A projection that disagrees does not say where. It is narrowed by bisection: the disagreement
// is linear in u, so split the support of u in two, measure the first half's (two evaluations),
// infer the second's by difference, and follow the larger; at a handful of entries they are
// checked one by one, so the user still gets the line and the index of the worst ones.
//
// A projection that crosses a kink (relu, max, …) says nothing: then the entries are checked as
// without fast mode. Modes (setting gradlens.gradientCheck.fast, CLI --fast):
//   'on'   every tensor by projection;
//   'auto' a tensor past the sampling limit (fullLimit) gets a projection on top of its sampled
//          entries: a wrong entry the sample missed still fails the check (two more evaluations);
//   'off'  entries only.
import type { GradCheckEntry } from '../model';
import { throwIfCancelled, type CancelCheck } from '../cancel';
import type { FastMode } from '../defaults';
import { Direction } from './direction';
import { Tensor } from '../tensor/tensor';
import { entryIsOff } from './thresholds';
import { relativeError, summarise, verdictOf, type GradCheckOptions } from './gradcheck';
import { checkEntries, crossingFromBase, kinksDiffer, workTensor, type Evaluator } from './differences';
import type { DirectionShortcut } from './linearReaders';

export { unitDirection } from './direction';

/** How a tensor of `size` entries is checked under `opts.fast`: by projection only, projection and sample, or entries only. */
export function fastModeFor(opts: GradCheckOptions, size: number): 'projection' | 'projection+sample' | null {
  const mode: FastMode = opts.fast ?? 'off';
  if (mode === 'on') return 'projection';
  if (mode === 'auto' && size > opts.fullLimit) return 'projection+sample';
  return null;
}

/** Entries narrowed to at most this many are checked one by one. */
const LEAF = 8;

/**
 * Evaluations a projection check of a tensor of `size` entries may take at most: the whole
 * projection and x itself (whose kink sides it is compared with), two per bisection step down
 * to LEAF entries, and those entries one by one (with x once more).
 */
export function projectionEvaluations(size: number): number {
  let steps = 0;
  for (let n = size; n > LEAF; n -= Math.floor(n / 2)) steps++;
  return 3 + 2 * steps + 1 + 2 * Math.min(size, LEAF);
}

/** One directional derivative: analytic gradᵀu against the central difference along u. */
export interface Projection {
  analytic: number;
  numeric: number;
  absError: number;
  relError: number;
  roundOff: number;
  kinkCrossed: boolean;
}

/** What a projection check found: the projection, the entries it was narrowed to, its evaluations. */
export interface ProjectionCheck {
  projection: Projection;
  /** Entries checked one by one after a failing projection (empty when it agreed). */
  narrowed: GradCheckEntry[];
  /** Evaluations of the region (2 per projection or entry). */
  evaluations: number;
  /** Projections measured (the whole tensor's, then one per bisection step). */
  projections: number;
}

/**
 * The directional derivative of f along u restricted to entries [lo, hi) (the other entries of u
 * taken as 0), against the analytic gradient's projection on the same vector.
 */
function project(base: Tensor, work: Tensor, u: Float64Array, lo: number, hi: number, analytic: Tensor, h: number, ev: Evaluator): Projection {
  let a = 0;
  let norm = 0;
  for (let i = lo; i < hi; i++) {
    a += analytic.data[i] * u[i];
    norm += u[i] * u[i];
  }
  // The step along the restricted direction is h·|u_S|, like one entry's h: scale so that each
  // bisection step moves x by h in norm (the round-off of f is then the same as an entry's).
  const s = h / Math.sqrt(norm || 1);
  for (let i = lo; i < hi; i++) work.data[i] = base.data[i] + s * u[i];
  const plus = ev.evaluate(true);
  for (let i = lo; i < hi; i++) work.data[i] = base.data[i] - s * u[i];
  const minus = ev.evaluate(true);
  for (let i = lo; i < hi; i++) work.data[i] = base.data[i];
  return projectionOf(a, plus, minus, s);
}

type Evaluation = ReturnType<Evaluator['evaluate']>;

/** The projection from the analytic gᵀu and f at x ± s·u. */
function projectionOf(a: number, plus: Evaluation, minus: Evaluation, s: number, at?: Evaluation): Projection {
  const numeric = (plus.f - minus.f) / (2 * s);
  return {
    analytic: a,
    numeric,
    absError: Math.abs(a - numeric),
    relError: relativeError(a, numeric),
    roundOff: (10 * Number.EPSILON * (Math.abs(plus.f) + Math.abs(minus.f))) / (2 * s),
    // Against x's own sides when known: x ± s·u may both cross a kink the same way (differences.ts).
    kinkCrossed: at ? crossingFromBase(at.kinks, plus.kinks, minus.kinks) !== null : kinksDiffer(plus.kinks, minus.kinks),
  };
}

/**
 * The projection on the whole direction: gᵀu with ‖u‖² in one pass over the gradient, then f at x,
 * x + s·u and x − s·u through `along` — the region re-run on the slot, or a shortcut through
 * readers with a closed form along the direction (linearReaders.ts). The slot's tensor `work` is
 * written with each point only when something evaluated reads it (left there: the caller restores
 * it when it needs to).
 */
function projectWhole(base: Tensor, work: () => Tensor, dir: Direction, analytic: Tensor, h: number, along: DirectionShortcut): Projection {
  const { dot, norm2 } = dir.dotAndNorm(analytic.data);
  const s = h / Math.sqrt(norm2 || 1);
  const at = (t: number): Evaluation => {
    if (along.readsSlot) dir.step(work().data, base.data, t);
    return along.along(dir, t);
  };
  const x = at(0);
  const plus = at(s);
  const minus = at(-s);
  return projectionOf(dot, plus, minus, s, x);
}

/** Whether a projection disagrees beyond the thresholds (the rule of an entry: thresholds.ts). */
export function projectionIsOff(p: Projection, opts: GradCheckOptions): boolean {
  return entryIsOff(p, opts.thresholds);
}

/**
 * Checks `base` against `analytic` by one projection on a seeded random direction, narrowed by
 * bisection to the worst entries when it disagrees. `setSlot` puts a tensor where the region reads
 * `base`; `ev` re-runs the region; `shortcut`, when given, evaluates the whole direction instead
 * of `ev` (it must give f as `ev` does, up to round-off). Leaves the slot on `base`.
 */
export function checkByProjection(base: Tensor, analytic: Tensor, opts: GradCheckOptions, seed: number, stream: string, setSlot: (t: Tensor) => void, ev: Evaluator, cancelled?: CancelCheck, shortcut?: DirectionShortcut): ProjectionCheck {
  const dir = Direction.of(base.shape, seed, stream);
  // Every entry of `work` is written before an evaluation reads it: no copy of `base` needed. Made
  // only when read: a shortcut past every reader of the tensor never needs x ± s·u written out.
  const made: { copy: ReturnType<typeof workTensor> | null } = { copy: null };
  const slot = (): Tensor => {
    if (!made.copy) setSlot((made.copy = workTensor(base)).tensor);
    return made.copy.tensor;
  };
  try {
    return projectAndNarrow(base, analytic, opts, dir, slot, setSlot, ev, cancelled, shortcut);
  } finally {
    setSlot(base);
    made.copy?.release();
  }
}

function projectAndNarrow(base: Tensor, analytic: Tensor, opts: GradCheckOptions, dir: Direction, slot: () => Tensor, setSlot: (t: Tensor) => void, ev: Evaluator, cancelled?: CancelCheck, shortcut?: DirectionShortcut): ProjectionCheck {
  throwIfCancelled(cancelled);
  const whole = projectWhole(base, slot, dir, analytic, opts.h, shortcut ?? { along: () => ev.evaluate(true), readsSlot: true });
  let evaluations = 3;
  let projections = 1;
  const narrowed: GradCheckEntry[] = [];
  if (!whole.kinkCrossed && projectionIsOff(whole, opts)) {
    // Bisection moves x on a part of the direction at a time: the rest of `work` must be x.
    const work = slot();
    work.data.set(base.data);
    const u = dir.entries();
    // Follow the half that carries more of the disagreement (signed: the two halves add up).
    let lo = 0;
    let hi = base.size;
    let err = whole.analytic - whole.numeric;
    while (hi - lo > LEAF) {
      throwIfCancelled(cancelled);
      const mid = lo + Math.floor((hi - lo) / 2);
      const left = project(base, work, u, lo, mid, analytic, opts.h, ev);
      evaluations += 2;
      projections++;
      const errLeft = left.analytic - left.numeric;
      const errRight = err - errLeft;
      if (left.kinkCrossed || Math.abs(errLeft) >= Math.abs(errRight)) {
        hi = mid;
        err = errLeft;
      } else {
        lo = mid;
        err = errRight;
      }
    }
    const indices: number[] = [];
    for (let i = lo; i < hi; i++) indices.push(i);
    setSlot(base);
    narrowed.push(...checkEntries(base, indices, analytic, opts.h, setSlot, ev, cancelled));
    evaluations += 1 + 2 * indices.length;
  }
  setSlot(base);
  return { projection: whole, narrowed, evaluations, projections };
}

/** The result of a check in fast mode: what summarise gives, with the projection's part. */
export type FastSummary = ReturnType<typeof summarise> & { fast: { projections: number; relError: number; kinkCrossed: boolean } };

/**
 * The check's summary from a projection (and the sampled entries in 'auto' mode): the verdict is
 * the worst of the entries' and, unless it crossed a kink, the projection's.
 */
export function summariseFast(target: string, size: number, pc: ProjectionCheck, sampled: GradCheckEntry[], opts: GradCheckOptions, hasKinks: boolean): FastSummary {
  const seen = new Set(sampled.map((e) => e.index.join(',')));
  const entries = [...sampled, ...pc.narrowed.filter((e) => !seen.has(e.index.join(',')))];
  const s = summarise(target, entries, opts, hasKinks);
  const p = pc.projection;
  const fast = { projections: pc.projections, relError: p.relError, kinkCrossed: p.kinkCrossed };
  if (p.kinkCrossed) return { ...s, fast };
  const counted = !(p.absError <= p.roundOff);
  const pVerdict = counted ? verdictOf(p.relError, hasKinks, opts.thresholds) : 'pass';
  const order = ['pass', 'ok-if-kinked', 'warn', 'fail'] as const;
  const verdict = order[Math.max(order.indexOf(s.verdict), order.indexOf(pVerdict))];
  const failing = Math.max(s.failing, projectionIsOff(p, opts) ? 1 : 0);
  const maxRelError = Number.isNaN(p.relError) || p.relError > s.maxRelError ? p.relError : s.maxRelError;
  // `checked` counts entries checked one by one, except in 'on' mode, where a projection that
  // decided stands for every entry it covered (the sample's count stays the sample's in 'auto').
  const checked = sampled.length === 0 ? Math.max(s.checked, size) : s.checked;
  return { ...s, verdict, failing, maxRelError, checked, fast };
}

/**
 * A check in fast mode, given how to run the projection and how to check sampled entries the usual
 * way: the sample runs in 'projection+sample' mode, and in 'projection' mode when the projection
 * crossed a kink (it then decides nothing).
 */
export function fastCheck(mode: 'projection' | 'projection+sample', target: string, size: number, opts: GradCheckOptions, hasKinks: boolean, projection: () => ProjectionCheck, sampled: () => GradCheckEntry[]): FastSummary {
  const pc = projection();
  const entries = mode === 'projection+sample' || pc.projection.kinkCrossed ? sampled() : [];
  return summariseFast(target, size, pc, entries, opts, hasKinks);
}
