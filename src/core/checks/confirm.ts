// Confirmation of suspicious entries: before an entry counts as a disagreement, its central
// difference is taken again at h/4 and 4h. With D(s) = f' + c·s² + round-off(s), two Richardson
// extrapolations, (16·D(h/4) − D(h))/15 and (16·D(h) − D(4h))/15, remove the h² term; the
// analytic value is judged against them. An error that shrinks like h² was truncation, one that
// grows like 1/h round-off, and one stable across the steps is genuine. Only the entries that
// would otherwise warn or fail are confirmed (the worst of them, see confirmLimit): 4 evaluations
// each; when more than confirmLimit are, twice as many at h/4 alone (2 evaluations each).
import type { ErrorBudget, GradCheckEntry, KinkCrossing } from '../model';
import { confirmLimit, relativeError, type Thresholds } from './gradcheck';

export { CONFIRM_LIMIT, confirmLimit } from './gradcheck';
import { roundOffOf, type KinkHit, type Probe } from './differences';

/** A disagreement counts only beyond this many times the estimate's own uncertainty. */
const MARGIN = 2;

/** Whether an entry would count against the check at h alone (the rule before confirmation). */
function suspicious(e: GradCheckEntry, t: Thresholds): boolean {
  return !e.kinkCrossed && !(e.absError <= e.roundOff) && e.relError > t.kinked;
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
  // More suspects than the limit: a step too large for a strongly curved function makes every
  // entry of a correct gradient suspicious, and the ones left unconfirmed then warned. Twice as
  // many are confirmed at h/4 alone instead (the extrapolation from h/4 and h), for the same evaluations.
  const limit = confirmLimit(entries.length);
  const wide = suspects.length > limit;
  const picked = suspects.slice(0, wide ? 2 * limit : limit);
  const at = picked.map((k) => indices[k]);
  const small = probe(at, h / 4);
  const large = wide ? null : probe(at, 4 * h);
  const out = entries.slice();
  picked.forEach((k, p) => {
    const e = entries[k];
    const s = small[p];
    const l = large?.[p];
    // A kink or step within h/4 is within h too (the sides at h happened to agree): not a disagreement.
    if (s.kink) {
      out[k] = { ...e, kinkCrossed: true, ...(name ? { kink: name(s.kink) } : {}) };
      return;
    }
    out[k] = { ...e, budget: budgetOf(e, h, s, !l || l.kink ? null : l, t) };
  });
  return out;
}

function budgetOf(e: GradCheckEntry, h: number, small: { plus: number; minus: number }, large: { plus: number; minus: number } | null, t: Thresholds): ErrorBudget {
  const a = e.analytic;
  const d0 = e.numeric;
  const ro0 = e.roundOff;
  const ds = (small.plus - small.minus) / (2 * (h / 4));
  const ros = roundOffOf({ ...small, kink: null }, h / 4);
  const rs = (16 * ds - d0) / 15;
  const roRs = (16 * ros + ro0) / 15;
  let estimate: number;
  let uncertainty: number;
  let agreesAtAStep = Math.abs(a - ds) <= ros;
  const steps = [h / 4];
  const numerics = [ds];
  if (large) {
    const dl = (large.plus - large.minus) / (2 * (4 * h));
    const rol = roundOffOf({ ...large, kink: null }, 4 * h);
    // The extrapolation from h and 4h carries the least round-off; the spread between the two
    // extrapolations measures what neither removes (h⁴ terms, round-off beyond the bound).
    estimate = (16 * d0 - dl) / 15;
    uncertainty = (16 * ro0 + rol) / 15 + Math.abs(estimate - rs);
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
  const cause: ErrorBudget['cause'] = !explained ? 'genuine' : truncation >= ro0 ? 'truncation' : 'round-off';
  return { steps, numerics, estimate, relError, truncation, roundOff: ro0, uncertainty, cause };
}
