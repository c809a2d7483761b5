// Round-off from cancellation inside the graph (the fuzz's verdict-65485e259a): a loss of ~1e16
// that a step of W moves by a few ulps of an inner sum. The round-off bound of the central
// difference (ε·|f|/h) does not see it; the differences do: an entry's error that grows 2× or more
// from h to h/4 is round-off, and the confirmation judges it at h and 4h instead of h/4.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Analysis, GradCheckEntry, GradCheckResult } from '../../src/core/model';
import { analyze } from '../../src/core/analyze';
import { confirmEntries, confirmLimit, ROUND_OFF_GROWTH } from '../../src/core/checks/confirm';
import { entriesAt, type Probe } from '../../src/core/checks/differences';
import { THRESHOLDS } from '../../src/core/checks/gradcheck';
import { Tensor } from '../../src/core/tensor/tensor';
import { verdictOutcome } from '../fuzz/verdicts';
import { alarms, withConfirmation } from './helpers/gradcheckAlarms';

const REGRESSION = readFileSync(join(__dirname, '..', 'fuzz', 'regressions', 'verdict-65485e259a.grad'), 'utf8');
const WRONG_GATE = readFileSync(join(__dirname, '..', 'fixtures', 'cancellation-wrong-gate.grad'), 'utf8');
const H = 1e-5;
// Every entry of W in the check's list, not only the worst few.
const ALL = { gradcheck: { worstCount: 64 } };

const checkOf = (a: Analysis, target: string): GradCheckResult => {
  const c = a.gradchecks.find((g) => g.target === target);
  assert.ok(c, `no check of ${target}`);
  return c;
};

test('a correct gradient whose loss cancels inside the graph raises no alarm: errors that grow at h/4 are round-off, judged at h and 4h', () => {
  // Independently of the checker: W's analytic gradient agrees with differences at several steps.
  assert.equal(verdictOutcome(REGRESSION, {}).kind, 'agree');
  // At h alone, entries of W look wrong (the warn the fuzz found came after the h/4-only confirmation).
  assert.equal(withConfirmation(false, () => checkOf(analyze(REGRESSION, ALL), 'W')).verdict, 'warn');
  const a = analyze(REGRESSION, ALL);
  assert.deepEqual(alarms(a), []);
  const w = checkOf(a, 'W');
  assert.ok(w.verdict === 'pass' || w.verdict === 'ok-if-kinked', w.verdict);
  assert.equal(w.failing, 0);
  const roundOff = w.worst.filter((e) => e.budget?.cause === 'round-off');
  assert.ok(roundOff.length >= 2, `round-off entries: ${roundOff.length}`);
  for (const e of roundOff) {
    const b = e.budget;
    assert.ok(b);
    assert.deepEqual(b.steps, [H / 4, 4 * H], 're-measured at 4h');
    // The mark: the error at h/4 is at least twice the error at h.
    assert.ok(Math.abs(e.analytic - b.numerics[0]) >= ROUND_OFF_GROWTH * e.absError);
    // The round-off the differences show is beyond the bound from f's own ulp.
    assert.ok(b.roundOff > e.roundOff, `${b.roundOff} vs ${e.roundOff}`);
    // The estimate from h and 4h is closer to the analytic value than D(h/4) is.
    assert.ok(Math.abs(e.analytic - b.estimate) < Math.abs(e.analytic - b.numerics[0]));
  }
});

test('the same cancellation with a wrong backward in a gate still fails (5% off), and still warns (0.1% off)', () => {
  const a = analyze(WRONG_GATE, ALL);
  const codes = alarms(a).map((d) => `${d.code}@${d.range.start.line + 1}`);
  assert.deepEqual(codes.sort(), ['gradcheck-failed@11', 'gradcheck-failed@7']);
  const w = checkOf(a, 'W');
  assert.equal(w.verdict, 'fail');
  assert.ok(w.worst.filter((e) => e.budget?.cause === 'genuine').length >= 6);
  assert.equal(checkOf(a, 'double.dx').verdict, 'fail');
  // 2.002 instead of 2: W's gradient 1e-3 off, several times the round-off of D(h).
  const slight = analyze(WRONG_GATE.replace('dout * 2.1', 'dout * 2.002'), ALL);
  assert.equal(checkOf(slight, 'W').verdict, 'warn');
  assert.equal(checkOf(slight, 'double.dx').verdict, 'warn');
});

/**
 * Central differences of sin at `x0[i]` plus a round-off `noise[i](s)` added to D(s) (as f(x ± s)
 * ± s·noise): D(s) = cos(x0) + O(s²) + noise(s). Counts the differences taken.
 */
function noisyProbe(x0: number[], noise: ((s: number) => number)[]): { probe: Probe; taken: () => number } {
  let taken = 0;
  const probe: Probe = (indices, s) =>
    indices.map((i) => {
      taken++;
      const n = noise[i](s) * s;
      return { plus: Math.sin(x0[i] + s) + n, minus: Math.sin(x0[i] - s) - n, kink: null };
    });
  return { probe, taken: () => taken };
}

function entries(x0: number[], analytic: number[], probe: Probe): GradCheckEntry[] {
  const indices = x0.map((_, i) => i);
  return entriesAt(probe, new Tensor([x0.length], Float64Array.from(x0)), indices, new Tensor([x0.length], Float64Array.from(analytic)), H);
}

// Round-off of size r·cos(x0) at h, growing like 1/s (its sign alternating with the step).
const roundOff = (r: number, x: number) => (s: number) => r * Math.cos(x) * (H / s) * (s < H ? -1 : 1);

test('an entry whose error grows at h/4 is round-off when its analytic value is right, genuine when it is not', () => {
  const x = [0.7];
  const noisy = noisyProbe(x, [roundOff(3e-4, 0.7)]);
  const right = confirmEntries(entries(x, [Math.cos(0.7)], noisy.probe), [0], noisy.probe, H, THRESHOLDS)[0];
  assert.ok(right.relError > THRESHOLDS.warn, 'at h alone it warns');
  assert.equal(right.budget?.cause, 'round-off');
  assert.deepEqual(right.budget.steps, [H / 4, 4 * H]);
  // A genuine error of 1e-3 under round-off that doubles it at h/4 (1e-3 at h, −1e-3 more at h/4):
  // the spread of D(h/4) would explain it away; judged at h and 4h it stays.
  const wrongBy = 1e-3;
  const hidden = noisyProbe(x, [(s) => (s < H ? -wrongBy * 1.2 * Math.cos(0.7) : 0)]);
  const wrong = confirmEntries(entries(x, [Math.cos(0.7) * (1 + wrongBy)], hidden.probe), [0], hidden.probe, H, THRESHOLDS)[0];
  assert.ok(Math.abs(wrong.analytic - (wrong.budget?.numerics[0] ?? 0)) >= ROUND_OFF_GROWTH * wrong.absError, 'the error grew at h/4');
  assert.equal(wrong.budget?.cause, 'genuine');
  assert.deepEqual(wrong.budget.steps, [H / 4, 4 * H]);
  assert.ok(Math.abs(wrong.budget.relError - wrongBy / 2) < 1e-4, `${wrong.budget.relError}`);
});

test('with more suspects than confirmLimit, round-off entries get 4h within the same 2·confirmLimit differences, worst first', () => {
  // 100 entries of a right gradient, all off at h, the worse the higher the index: the even ones by
  // round-off growing like 1/h, the odd ones by an error gone at h/4 (what truncation looks like).
  const n = 100;
  const x = Array.from({ length: n }, (_, i) => 0.1 + 0.01 * i);
  const size = (i: number) => 3e-4 * (1 + i / n);
  const noise = x.map((xi, i) => (i % 2 ? (s: number) => (s < H ? 0 : size(i) * Math.cos(xi)) : roundOff(size(i), xi)));
  const { probe, taken } = noisyProbe(x, noise);
  const at = entries(x, x.map(Math.cos), probe);
  const before = taken();
  const out = confirmEntries(
    at,
    x.map((_, i) => i),
    probe,
    H,
    THRESHOLDS,
  );
  const limit = confirmLimit(n);
  assert.ok(2 * limit < n);
  assert.ok(taken() - before <= 2 * limit, `${taken() - before} differences for a limit of ${limit}`);
  const confirmed = out.map((e, i) => (e.budget ? i : -1)).filter((i) => i >= 0);
  assert.ok(confirmed.length >= limit, `${confirmed.length} confirmed`);
  // The worst first: the confirmed entries are the last ones.
  assert.deepEqual(
    confirmed,
    Array.from({ length: confirmed.length }, (_, k) => n - confirmed.length + k),
  );
  for (const i of confirmed) {
    const b = out[i].budget;
    assert.ok(b);
    if (i % 2 === 0) assert.deepEqual([b.cause, b.steps.length], ['round-off', 2], `entry ${i}`);
    else assert.deepEqual([b.cause, b.steps.length], ['truncation', 1], `entry ${i}`);
  }
});
