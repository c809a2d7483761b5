// Confirmation of suspicious entries: before an entry counts as a disagreement, its central
// difference is taken again at h/4 and 4h. With D(s) = f' + c·s² + round-off(s), two Richardson
// extrapolations, (16·D(h/4) − D(h))/15 and (16·D(h) − D(4h))/15, remove the h² term; the
// analytic value is judged against them. An error that shrinks like h² was truncation, one that
// grows like 1/h round-off, and one stable across the steps is genuine. An error that grows 2× or
// more from h to h/4 is round-off's mark — also round-off the bound from f's ulp cannot see,
// from cancellation inside the graph (a loss of 1e16 moved by a few ulps of an inner sum): such an
// entry is judged by D(h) and D(4h) alone, with the round-off D(h/4) − D(h) shows. Only the entries
// that would otherwise warn or fail are confirmed (the worst of them, see confirmLimit): 4
// evaluations each; when more than confirmLimit are, up to twice as many at h/4 (2 evaluations
// each), those whose error grew there at 4h too, within the same evaluations.
import type { ErrorBudget, GradCheckEntry, KinkCrossing } from '../model';
import { confirmLimit, relativeError, type Thresholds } from './gradcheck';

export { CONFIRM_LIMIT, confirmLimit } from './gradcheck';
import { roundOffOf, type Difference, type KinkHit, type Probe } from './differences';

/** A disagreement counts only beyond this many times the estimate's own uncertainty. */
const MARGIN = 2;

/**
 * An error that grows at least this much from h to h/4 is round-off's mark: truncation would
 * shrink 16× and a genuine error stay put, while round-off grows like 1/h (4× when nothing else is left).
 */
export const ROUND_OFF_GROWTH = 2;

/** Whether an entry would count against the check at h alone (the rule before confirmation). */
function suspicious(e: GradCheckEntry, t: Thresholds): boolean {
  return !e.kinkCrossed && !(e.absError <= e.roundOff) && e.relError > t.kinked;
}

/** Whether the entry's error grew by ROUND_OFF_GROWTH or more from h to h/4 (`small`, the difference at h/4). */
export function growsAsStepShrinks(e: GradCheckEntry, small: Difference, h: number): boolean {
  const ds = (small.plus - small.minus) / (2 * (h / 4));
  return Math.abs(e.analytic - ds) >= ROUND_OFF_GROWTH * e.absError;
}

/**
 * The entries with the suspicious ones confirmed at more steps (a new array; entries are not
 * modified). `indices[k]` is the flat index of `entries[k]`.
 */
export function confirmEntries(entries: GradCheckEntry[], indices: number[], probe: Probe, h: number, t: Thresholds, name?: (hit: KinkHit) => KinkCrossing): GradCheckEntry[] {
  // GRADLENS_GRADCHECK_UNCONFIRMED=1 judges every entry at h alone (tests compare the two).
  if (process.env.GRADLENS_GRADCHECK_UNCONFIRMED === '1') return entries;
  const suspects = entries
    .map((_, k) => k)
    .filter((k) => suspicious(entries[k], t))
    .sort((a, b) => entries[b].relError - entries[a].relError || a - b);
  if (!suspects.length) return entries;
  const out = entries.slice();
  const judge = (k: number, small: Difference, large: Difference | null) => {
    out[k] = judged(entries[k], h, small, large, t, name);
  };
  const limit = confirmLimit(entries.length);
  if (suspects.length <= limit) {
    const at = suspects.map((k) => indices[k]);
    const small = probe(at, h / 4);
    const large = probe(at, 4 * h);
    suspects.forEach((k, p) => judge(k, small[p], large[p]));
    return out;
  }
  // More suspects than the limit: a step too large for a strongly curved function makes every
  // entry of a correct gradient suspicious, and the ones left unconfirmed then warned. The same
  // evaluations (2·limit differences, checkEvaluations) confirm up to twice as many at h/4, worst
  // first, in rounds: each round takes half of what is left at h/4, then those of its entries whose
  // error grew at h/4 (round-off: a smaller step only makes it worse) at 4h from the rest.
  let left = 2 * limit;
  let next = 0;
  while (left > 0 && next < suspects.length) {
    const round = suspects.slice(next, next + Math.ceil(left / 2));
    next += round.length;
    left -= round.length;
    const small = probe(round.map((k) => indices[k]), h / 4);
    const again = round.map((_, p) => p).filter((p) => !small[p].kink && growsAsStepShrinks(entries[round[p]], small[p], h)).slice(0, left);
    left -= again.length;
    const large = again.length ? probe(again.map((p) => indices[round[p]]), 4 * h) : [];
    round.forEach((k, p) => {
      const j = again.indexOf(p);
      judge(k, small[p], j >= 0 ? large[j] : null);
    });
  }
  return out;
}

/**
 * One suspicious entry judged from its differences at h/4 and (when taken) 4h. An entry whose
 * error grew at h/4 and has no 4h free of kinks keeps its judgement at h: h is the best step it has.
 */
function judged(e: GradCheckEntry, h: number, small: Difference, large: Difference | null, t: Thresholds, name?: (hit: KinkHit) => KinkCrossing): GradCheckEntry {
  // A kink or step within h/4 is within h too (the sides at h happened to agree): not a disagreement.
  if (small.kink) return { ...e, kinkCrossed: true, ...(name ? { kink: name(small.kink) } : {}) };
  const roundOff = growsAsStepShrinks(e, small, h);
  const usable = large && !large.kink ? large : null;
  if (roundOff && !usable) return e;
  return { ...e, budget: budgetOf(e, h, small, usable, roundOff, t) };
}

function budgetOf(e: GradCheckEntry, h: number, small: Difference, large: Difference | null, grew: boolean, t: Thresholds): ErrorBudget {
  const a = e.analytic;
  const d0 = e.numeric;
  const ro0 = e.roundOff;
  const ds = (small.plus - small.minus) / (2 * (h / 4));
  const ros = roundOffOf({ ...small, kink: null }, h / 4);
  const rs = (16 * ds - d0) / 15;
  const roRs = (16 * ros + ro0) / 15;
  // An error that grew at h/4 shows round-off beyond the bound of f's own ulp (cancellation
  // inside the graph). Round-off grows like 1/h: D(h/4) − D(h) is about three times the
  // round-off at h, whatever the analytic value (a wrong one does not widen it).
  const roundOff = grew ? Math.max(ro0, Math.abs(ds - d0) / 3) : ro0;
  let estimate: number;
  let uncertainty: number;
  let agreesAtAStep = Math.abs(a - ds) <= ros;
  const steps = [h / 4];
  const numerics = [ds];
  if (large) {
    const dl = (large.plus - large.minus) / (2 * (4 * h));
    const rol = roundOffOf({ ...large, kink: null }, 4 * h);
    // The extrapolation from h and 4h carries the least round-off.
    estimate = (16 * d0 - dl) / 15;
    if (grew) {
      // D(h/4) is mostly round-off: the estimate is as uncertain as the round-off of D(h) and
      // D(4h) (a quarter of D(h)'s) make it, and nothing of D(h/4)'s enters.
      uncertainty = (16 * roundOff + Math.max(rol, roundOff / 4)) / 15;
    } else {
      // The spread between the two extrapolations measures what neither removes (h⁴ terms, round-off beyond the bound).
      uncertainty = (16 * ro0 + rol) / 15 + Math.abs(estimate - rs);
    }
    agreesAtAStep ||= Math.abs(a - dl) <= rol;
    steps.push(4 * h);
    numerics.push(dl);
  } else {
    // 4h crossed a kink, or was not taken: the extrapolation from h/4 and h, as uncertain as D(h/4)'s own truncation.
    estimate = rs;
    uncertainty = roRs + Math.abs(rs - ds);
  }
  const relError = relativeError(a, estimate);
  const truncation = Math.abs(d0 - estimate);
  const explained = agreesAtAStep || Math.abs(a - estimate) <= MARGIN * uncertainty || relError <= t.kinked;
  const cause: ErrorBudget['cause'] = !explained ? 'genuine' : grew || truncation < roundOff ? 'round-off' : 'truncation';
  return { steps, numerics, estimate, relError, truncation, roundOff, uncertainty, cause };
}
