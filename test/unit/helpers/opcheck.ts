// Test helpers: check an op's backward against central finite differences, in float64.
import assert from 'node:assert/strict';
import type { Attrs, ForwardContext, OpDef } from '../../../src/core/ops/op';
import { Tensor } from '../../../src/core/tensor/tensor';

/** A small deterministic generator for test data (not the engine's PRNG). */
export function testRng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function randomTensor(shape: number[], rng: () => number, scale = 1, offset = 0): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) {
    // Box–Muller
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    t.data[i] = offset + scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return t;
}

export function tensorOf(shape: number[], values: number[]): Tensor {
  return new Tensor(shape, Float64Array.from(values));
}

export function fixedContext(seed = 7): ForwardContext {
  return {
    trackKinks: false,
    random(count: number) {
      const rng = testRng(seed);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = rng();
      return out;
    },
  };
}

export interface GradCheckOptions {
  h?: number;
  tol?: number;
  /** Inputs to check (default: all that are not labels). */
  check?: number[];
  seed?: number;
}

/**
 * Checks op.backward against central differences of L = Σ out · G for a random upstream G.
 * Returns the worst relative error found.
 */
export function checkOpGradient(op: OpDef, inputs: Tensor[], attrs: Attrs, opts: GradCheckOptions = {}): number {
  const h = opts.h ?? 1e-6;
  const tol = opts.tol ?? 1e-7;
  const rng = testRng(opts.seed ?? 11);
  const ctx = fixedContext();
  const fwd = op.forward(inputs, attrs, ctx);
  const G = randomTensor([...fwd.value.shape], rng);
  const labelArgs = new Set(op.signature.map((p, i) => (p.labels ? i : -1)).filter((i) => i >= 0));
  const toCheck = opts.check ?? inputs.map((_, i) => i).filter((i) => !labelArgs.has(i));
  const needs = inputs.map((_, i) => toCheck.includes(i));
  const grads = op.backward({ inputs, out: fwd.value, grad: G, saved: fwd.saved, attrs, needs });
  const loss = (ins: Tensor[]) => {
    const v = op.forward(ins, attrs, ctx).value;
    let acc = 0;
    for (let i = 0; i < v.size; i++) acc += v.data[i] * G.data[i];
    return acc;
  };
  let worst = 0;
  for (const k of toCheck) {
    const g = grads[k];
    assert.ok(g, `${op.id}: no gradient for input ${k}`);
    assert.deepEqual([...g.shape], [...inputs[k].shape], `${op.id}: gradient ${k} has the wrong shape`);
    for (let i = 0; i < inputs[k].size; i++) {
      const plus = inputs.map((t) => t.clone());
      const minus = inputs.map((t) => t.clone());
      plus[k].data[i] += h;
      minus[k].data[i] -= h;
      const num = (loss(plus) - loss(minus)) / (2 * h);
      const ana = g.data[i];
      const rel = Math.abs(num - ana) / Math.max(1e-8, Math.abs(num) + Math.abs(ana));
      worst = Math.max(worst, rel);
      assert.ok(rel < tol || Math.abs(num - ana) < 1e-9, `${op.id}: input ${k} entry ${i}: analytic ${ana} vs numeric ${num} (rel ${rel})`);
    }
  }
  return worst;
}
