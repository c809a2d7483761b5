// What the gradient-check thresholds mean for everything that shows a check after the fact — the
// hover, the sidebar's icons, the dashboard's bands and tables — so each of them follows the
// thresholds the check ran with (gradlens.gradientCheck.thresholds), not the defaults. Pure: the
// webview imports it.
import type { GradCheckEntry } from '../model';
import type { GradCheckThresholds } from '../defaults';

type Judged = Pick<GradCheckEntry, 'kinkCrossed' | 'absError' | 'roundOff' | 'relError' | 'budget'>;

/**
 * The relative error a verdict judges an entry by: the confirmed estimate's when the entry was
 * confirmed at more steps (checks/confirm.ts), and 0 when its error budget (truncation,
 * round-off) explains the disagreement at h.
 */
export function judgedError(e: Pick<GradCheckEntry, 'relError' | 'budget'>): number {
  if (!e.budget) return e.relError;
  return e.budget.cause === 'genuine' ? e.budget.relError : 0;
}

/** Whether an entry counts in a verdict at all: it crossed no kink or step, and its difference is beyond the round-off at h. */
export function entryCounts(e: Judged): boolean {
  return !e.kinkCrossed && !(e.absError <= e.roundOff);
}

/**
 * An entry a check counts in `failing` (the rule of gradcheck.ts): it did not cross a kink, its
 * difference is beyond the round-off of the central difference, and its judged relative error is
 * above `warn` (NaN included).
 */
export function entryIsOff(e: Judged, t: GradCheckThresholds): boolean {
  return entryCounts(e) && !(judgedError(e) <= t.warn);
}

/**
 * The entry a verdict's message names: the worst (by relative error at h) that counts and is not
 * explained by its error budget; else the worst that crossed no kink; else the worst.
 */
export function reportedEntry<E extends Judged>(worst: readonly E[]): E | undefined {
  return worst.find((e) => entryCounts(e) && !(judgedError(e) === 0 && e.budget)) ?? worst.find((e) => !e.kinkCrossed) ?? worst[0];
}

export interface ThresholdBand {
  from: number;
  to: number;
  verdict: 'pass' | 'ok-if-kinked' | 'warn' | 'fail';
  label: string;
}

/**
 * The verdict bands of the relative-error axis from `floor` to `ceiling`: pass below `kinked`, ok if
 * kinked up to `warn`, suspicious up to `fail`, wrong above. Thresholds are printed as set.
 */
export function thresholdBands(t: GradCheckThresholds, floor: number, ceiling: number): ThresholdBand[] {
  const bands: ThresholdBand[] = [
    { from: floor, to: t.kinked, verdict: 'pass', label: `pass < ${t.kinked}` },
    { from: t.kinked, to: t.warn, verdict: 'ok-if-kinked', label: 'ok if kinked' },
    { from: t.warn, to: t.fail, verdict: 'warn', label: 'suspicious' },
    { from: t.fail, to: ceiling, verdict: 'fail', label: `wrong > ${t.fail}` },
  ];
  return bands.map((b) => ({ ...b, from: Math.min(ceiling, Math.max(floor, b.from)), to: Math.min(ceiling, Math.max(floor, b.to)) })).filter((b) => b.to > b.from);
}

/** A well-formed thresholds object (three finite numbers), for validating messages. */
export function isThresholds(v: unknown): v is GradCheckThresholds {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return ['fail', 'warn', 'kinked'].every((k) => typeof t[k] === 'number' && Number.isFinite(t[k]));
}
