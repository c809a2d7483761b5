// Fast-mode gradient checks (src/core/checks/fastCheck.ts): one directional derivative vᵀJu per
// tensor instead of every entry. They must catch the broken gates' bugs with the line and an
// index that really is wrong, pass what the entry-by-entry check passes, and, in 'auto' mode,
// catch a wrong entry the sample missed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { checkByProjection, fastCheck, fastModeFor, unitDirection } from '../../src/core/checks/fastCheck';
import { DEFAULT_GRADCHECK, type GradCheckOptions } from '../../src/core/checks/gradcheck';
import { checkEntries, type Evaluator } from '../../src/core/checks/differences';
import type { Analysis, GradCheckResult } from '../../src/core/model';
import { Tensor } from '../../src/core/tensor/tensor';
import { parseArgs } from '../../src/cli/args';
import { analyzeOptions, resolveConfig } from '../../src/server/settings';

const examples = join(__dirname, '..', '..', 'examples');
const read = (f: string) => readFileSync(join(examples, f), 'utf8');
const withFast = (text: string, fast: 'on' | 'off' | 'auto'): Analysis => analyze(text, { gradcheck: { fast } });

const offKey = (g: GradCheckResult) => `${g.target}:${g.verdict === 'fail'}`;

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i + 1;
}

const BROKEN: [file: string, target: string, line: string][] = [
  ['broken/swapped-order.grad', 'linear.dW', 'dW = dout.T @ X'],
  ['broken/wrong-sign.grad', 'difference.db', 'db = dout'],
  ['broken/sigmoid-input.grad', 'sig.dx', 'dx = sigmoid(x) * (1 - x) * dout'],
  ['broken/relu-mask.grad', 'relu_gate.dx', 'dx = dout * (dout > 0)'],
];

for (const [file, target, line] of BROKEN) {
  test(`fast mode catches ${file} at ${target}, narrowed to an entry that is wrong`, () => {
    const text = read(file);
    const fast = withFast(text, 'on');
    const c = fast.gradchecks.find((g) => g.target === target);
    assert.ok(c, `no check of ${target}`);
    assert.equal(c.verdict, 'fail');
    assert.ok(c.fast, 'the check ran in fast mode');
    assert.ok(c.worst.length > 0, 'the failing projection was narrowed to entries');
    const w = c.worst.find((e) => !e.kinkCrossed) ?? c.worst[0];
    // The entry check (every entry: these tensors are small) agrees that this entry is off.
    const full = withFast(text, 'off').gradchecks.find((g) => g.target === target);
    assert.ok(full && full.verdict === 'fail' && !full.fast);
    assert.ok(w.relError > 1e-2, `the narrowed entry [${w.index.join(', ')}] is off (relative error ${w.relError})`);
    const d = fast.diagnostics.find((x) => x.code === 'gradcheck-failed' && x.range.start.line + 1 === lineOf(text, line));
    assert.ok(d, `no gradcheck-failed on the line \`${line}\``);
    assert.match(d.message, new RegExp(`at \\[${w.index.join(', ')}\\]`));
  });
}

test('fast mode fails the same checks as the entry-by-entry check on every example', () => {
  const files = [...readdirSync(examples).filter((f) => f.endsWith('.grad')), ...readdirSync(join(examples, 'broken')).map((f) => `broken/${f}`)];
  let fastChecks = 0;
  for (const f of files) {
    const text = read(f);
    const off = withFast(text, 'off').gradchecks.map(offKey).sort();
    const on = withFast(text, 'on');
    assert.deepEqual(on.gradchecks.map(offKey).sort(), off, `${f}: the failing checks differ`);
    fastChecks += on.gradchecks.filter((g) => g.fast && !g.fast.kinkCrossed).length;
  }
  assert.ok(fastChecks > 10, `projections decided ${fastChecks} checks (the rest crossed kinks)`);
});

test('modes: on for every tensor, auto only past the sampling limit, off never', () => {
  const o = (fast: GradCheckOptions['fast']): GradCheckOptions => ({ ...DEFAULT_GRADCHECK, fast });
  assert.equal(fastModeFor(o('on'), 3), 'projection');
  assert.equal(fastModeFor(o('auto'), DEFAULT_GRADCHECK.fullLimit), null);
  assert.equal(fastModeFor(o('auto'), DEFAULT_GRADCHECK.fullLimit + 1), 'projection+sample');
  assert.equal(fastModeFor(o('off'), 1e6), null);
  assert.equal(fastModeFor(o(undefined), 1e6), null);
  assert.equal(DEFAULT_GRADCHECK.fast, 'auto');
  const u = unitDirection(1000, 7, 's');
  assert.ok(Math.abs(u.reduce((a, x) => a + x * x, 0) - 1) < 1e-12, 'unit norm');
});

/** f(x) = Σ c_i x_i² / 2, whose gradient is c ⊙ x; the evaluator reads the slot. */
function quadratic(size: number): { base: Tensor; grad: Tensor; ev: Evaluator; slot: (t: Tensor) => void; evaluations: () => number } {
  const base = new Tensor([size]);
  const c = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    base.data[i] = Math.sin(i + 1);
    c[i] = 1 + (i % 7) / 7;
  }
  const grad = new Tensor([size]);
  for (let i = 0; i < size; i++) grad.data[i] = c[i] * base.data[i];
  let slot = base;
  let count = 0;
  const ev: Evaluator = {
    evaluate: () => {
      count++;
      let f = 0;
      for (let i = 0; i < size; i++) f += (c[i] * slot.data[i] * slot.data[i]) / 2;
      return { f, kinks: [] };
    },
  };
  return { base, grad, ev, slot: (t) => (slot = t), evaluations: () => count };
}

test('a correct gradient: one projection, three evaluations (x ± s·u, and x for its kink sides), no entries', () => {
  const q = quadratic(5000);
  const pc = checkByProjection(q.base, q.grad, DEFAULT_GRADCHECK, 1, 'x', q.slot, q.ev);
  assert.equal(pc.evaluations, 3);
  assert.equal(q.evaluations(), 3);
  assert.ok(pc.projection.relError < 1e-7, `relative error ${pc.projection.relError}`);
  assert.deepEqual(pc.narrowed, []);
});

test('one wrong entry of 5000: bisection narrows the failing projection to it in O(log n) evaluations', () => {
  const q = quadratic(5000);
  q.grad.data[3777] = -q.grad.data[3777] + 40;
  const pc = checkByProjection(q.base, q.grad, DEFAULT_GRADCHECK, 1, 'x', q.slot, q.ev);
  assert.ok(pc.projection.relError > 1e-2, `the projection fails (relative error ${pc.projection.relError})`);
  const worst = [...pc.narrowed].sort((a, b) => b.relError - a.relError)[0];
  assert.deepEqual(worst.index, [3777]);
  assert.ok(pc.evaluations < 60, `${pc.evaluations} evaluations`);
  assert.equal(pc.evaluations, q.evaluations());
});

test("auto: the projection catches a wrong entry the sample missed; the sample alone passes", () => {
  const q = quadratic(5000);
  q.grad.data[4321] *= -3;
  const opts: GradCheckOptions = { ...DEFAULT_GRADCHECK, fast: 'auto' };
  const sampleIdx = Array.from({ length: 40 }, (_, i) => i * 100); // misses 4321
  const sampled = () => checkEntries(q.base, sampleIdx, q.grad, opts.h, q.slot, q.ev);
  const alone = fastCheck('projection+sample', 'x', 5000, { ...opts, thresholds: { ...opts.thresholds } }, false, () => ({ projection: { analytic: 0, numeric: 0, absError: 0, relError: 0, roundOff: 0, kinkCrossed: false }, narrowed: [], evaluations: 0, projections: 0 }), sampled);
  assert.equal(alone.verdict, 'pass', 'the sample alone misses it');
  const s = fastCheck('projection+sample', 'x', 5000, opts, false, () => checkByProjection(q.base, q.grad, opts, 3, 'x', q.slot, q.ev), sampled);
  assert.equal(s.verdict, 'fail');
  assert.deepEqual(s.worst[0].index, [4321]);
  assert.ok(s.checked > 40 && s.checked <= 48, `${s.checked}: the sample and the entries the projection was narrowed to`);
});

test('--fast and --no-fast on the command line, gradlens.gradientCheck.fast in the server', () => {
  const on = parseArgs(['check', 'a.grad', '--fast']);
  assert.ok(on.command === 'check' && on.fast === 'on');
  const off = parseArgs(['check', 'a.grad', '--no-fast']);
  assert.ok(off.command === 'check' && off.fast === 'off');
  const none = parseArgs(['check', 'a.grad']);
  assert.ok(none.command === 'check' && none.fast === undefined);
  const gc = (raw: unknown) => {
    const o = analyzeOptions(resolveConfig((k) => (k === 'gradientCheck.fast' ? raw : undefined))).gradcheck;
    return typeof o === 'object' ? o.fast : null;
  };
  assert.equal(gc('on'), 'on');
  assert.equal(gc('off'), 'off');
  assert.equal(gc(undefined), 'auto');
  assert.equal(gc('sometimes'), 'auto', 'a malformed value is the default');
});

test('auto: no projection on top of a sample the budget already cut (the budget bounds the analysis)', () => {
  const lines = ['seed 2', 'dims N = 16, D = 40', 'input X: [N, D]', 'input y: int[N] in 0..D'];
  for (let l = 1; l <= 6; l++) lines.push(`param W${l}: [D, D] ~ he`, `param b${l}: [D] = 0`);
  for (let l = 1; l <= 6; l++) lines.push(`h${l} = relu(${l === 1 ? 'X' : `h${l - 1}`} @ W${l} + b${l})`);
  lines.push('loss = softmax_ce(h6, y)');
  const text = lines.join('\n') + '\n';
  const weights = (a: Analysis) => a.gradchecks.filter((g) => /^W\d$/.test(g.target));
  // W is 1,600 entries, past the full limit: a projection on top of its sample when it fits...
  assert.ok(weights(analyze(text, { gradcheck: { fast: 'auto', maxFlopsTotal: Infinity } })).every((g) => g.fast));
  // ...and none when the budget cut the sample.
  const tight = weights(analyze(text, { gradcheck: { fast: 'auto', maxFlopsTotal: 3e6 } }));
  assert.ok(tight.some((g) => g.checked < 40 && !g.fast), tight.map((g) => `${g.target} ${g.checked} ${g.fast ? 'fast' : ''}`).join(', '));
  assert.ok(tight.every((g) => g.checked >= 40 || !g.fast));
});

test('--json says which checks were made in fast mode (fast: projections, relError, kinkCrossed) and no other', async () => {
  const { main } = await import('../../src/cli/main');
  const file = join(__dirname, '..', '..', 'examples', 'two-layer-net.grad');
  const run = (...extra: string[]) => {
    let out = '';
    main(['check', file, '--json', ...extra], { out: (s) => (out += s), err: () => undefined });
    return JSON.parse(out) as { gradchecks: { target: string; fast?: { projections: number; relError: number | null; kinkCrossed: boolean } }[] };
  };
  const fast = run('--fast');
  const params = fast.gradchecks.filter((g) => !g.target.includes('.'));
  assert.ok(params.length > 0);
  for (const g of params) {
    assert.ok(g.fast, `${g.target} has its projection`);
    assert.deepEqual(Object.keys(g.fast), ['projections', 'relError', 'kinkCrossed']);
    assert.ok(g.fast.projections >= 1);
  }
  assert.ok(run('--no-fast').gradchecks.every((g) => g.fast === undefined), 'entry checks carry no fast field');
});
