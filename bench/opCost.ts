// `npm run bench:op-cost`: times every op's forward and backward pass (and every gradient
// function) at three sizes and compares each with its `cost` / `backwardCost`
// (src/core/ops/cost.ts). A benchmark, not a unit test: timings on a shared machine are noise, so
// the unit layer checks the cost model's structure (test/unit/op-cost.test.ts) and this measures
// its calibration. Run it on a quiet machine, with an allocator that keeps the memory it frees
// (the npm script sets glibc's MALLOC_*_THRESHOLD_), so that what is timed is the kernels' work,
// not the first touch of fresh pages. Prints one JSON line: the common rate and the samples off
// by more than a factor of 2 (exit 1 when there are any).
import assert from 'node:assert/strict';
import { analyzeSession } from '../src/core/analyze';
import { Prng } from '../src/core/engine/prng';
import { backwardCost, forwardCost } from '../src/core/ops/cost';
import { isLabelArgument } from '../src/core/ops/op';
import { Tensor } from '../src/core/tensor/tensor';
import { OP_CASES } from '../test/unit/helpers/opCases';

const SIZES = [3e3, 3e4, 3e5];
/** Estimates below this many units (20 µs) are only checked from above. */
const FLOOR = 20_000;

/**
 * The fastest of several runs (ns): the work itself, without a collection or another process in
 * it. Before each run `shuffle` reorders the inputs, so that a branch predictor cannot learn a
 * kernel's branches from the runs before (a real analysis runs each kernel once on its data).
 */
function fastest(f: () => void, shuffle: () => void): number {
  for (let i = 0; i < 2; i++) f();
  let best = Infinity;
  const t0 = performance.now();
  for (let reps = 0; reps < 4 || (performance.now() - t0 < 10 && reps < 200); reps++) {
    shuffle();
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best * 1e6;
}

/** Reorders each tensor's entries in place (labels stay labels, positive inputs positive). */
function shuffler(tensors: Tensor[]): () => void {
  const prng = new Prng(7, 'shuffle');
  return () => {
    for (const t of tensors) {
      const d = t.data;
      // Past a million entries no predictor remembers the branches: not worth the time.
      if (d.length >= 1e6) continue;
      for (let i = d.length - 1; i > 0; i--) {
        const j = prng.int(0, i + 1);
        const v = d[i];
        d[i] = d[j];
        d[j] = v;
      }
    }
  };
}

/** The engine's random numbers for a node (Execution.randomFor): drawn afresh, as a run's first evaluation does. */
function random(count: number): Float64Array {
  const prng = new Prng(1, 'node:cost');
  const r = new Float64Array(count);
  for (let i = 0; i < count; i++) r[i] = prng.uniform();
  return r;
}

interface Sample {
  what: string;
  ns: number;
  estimate: number;
  measure: () => number;
}

function samples(): Sample[] {
  const out: Sample[] = [];
  for (const c of OP_CASES) {
    for (const n of SIZES) {
      const s = analyzeSession(c.program(n), { gradcheck: false, maxElements: 1e9, maxFlops: 1e13, maxValuesPerNode: 0 });
      const errors = s.analysis.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 0, `${c.op} at ${n}: ${errors.map((d) => d.message).join('; ')}`);
      const graph = s.graph as NonNullable<typeof s.graph>;
      const ex = s.execution as NonNullable<typeof s.execution>;
      const node = graph.nodes.find((x) => x.op?.id === c.op);
      assert.ok(node?.op, `${c.op}: no node in its program`);
      const op = node.op;
      const inputs = node.inputs.map((i) => ex.values[i] as Tensor);
      const shapes = inputs.map((t) => t.shape);
      const ctx = { trackKinks: false, random };
      const shuffle = shuffler(inputs);
      const forward = () => fastest(() => op.forward(inputs, node.attrs, ctx), shuffle);
      const r = op.forward(inputs, node.attrs, ctx);
      out.push({ what: `${c.op} forward at ${n}`, ns: forward(), estimate: forwardCost(op, shapes, r.value.shape, node.attrs), measure: forward });
      if (op.noGrad || op.backwardOnly) continue;
      const grad = Tensor.full(r.value.shape, 1);
      const needs = node.inputs.map((i, j) => graph.nodes[i].requiresGrad && !isLabelArgument(op, j));
      // What forward kept (masks, winners) is recomputed from the reordered inputs too.
      let state = r;
      const refresh = () => {
        shuffle();
        state = op.forward(inputs, node.attrs, ctx);
      };
      const backward = () => fastest(() => op.backward({ inputs, out: state.value, grad, saved: state.saved, attrs: node.attrs, needs }), refresh);
      out.push({ what: `${c.op} backward at ${n}`, ns: backward(), estimate: backwardCost(op, shapes, r.value.shape, node.attrs, needs), measure: backward });
    }
  }
  return out;
}

function main(): void {
  // Large arrays come from fresh pages until the allocator keeps freed ones: get past that first.
  for (let i = 0; i < 20; i++) new Float64Array(1 << 21).fill(i);
  const all = samples();
  const rated = all.filter((s) => s.estimate >= FLOOR);
  const rates = rated.map((s) => s.ns / s.estimate).sort((a, b) => a - b);
  const rate = rates[Math.floor(rates.length / 2)];
  // About a nanosecond per unit on the machines the constants were measured on.
  assert.ok(rate > 0.1 && rate < 10, `${rate} ns per unit`);
  const within = (s: Sample) => (s.estimate >= FLOOR ? s.ns / s.estimate >= rate / 2 && s.ns / s.estimate <= 2 * rate : s.ns <= 2 * rate * FLOOR);
  // A slow sample may be another process's burst: measured again, a while later, before it counts.
  let off = all.filter((s) => !within(s));
  for (let round = 0; round < 3 && off.length; round++) {
    const until = performance.now() + 300;
    while (performance.now() < until);
    for (const s of off) s.ns = Math.min(s.ns, s.measure());
    off = off.filter((s) => !within(s));
  }
  const report = off.map((s) => `${s.what}: ${Math.round(s.ns / 1000)} µs for ${Math.round(s.estimate)} units (${(s.ns / s.estimate / rate).toFixed(2)} × the common rate)`);
  process.stdout.write(`${JSON.stringify({ rate, samples: all.length, off: report })}\n`);
  if (report.length) process.exitCode = 1;
}

main();
