import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { Prng } from '../../src/core/engine/prng';
import { assertClose, checkProgramGradients, codes, errors, grad, node, run, value } from './helpers/program';

const examplesDir = join(__dirname, '..', '..', 'examples');
const example = (name: string) => readFileSync(join(examplesDir, name), 'utf8');

test('the (x+y)z circuit gives the lecture numbers', () => {
  const a = run(example('circuit.grad'));
  assert.deepEqual(errors(a), []);
  assert.equal(a.root, 'f');
  assertClose(value(a, 'f'), -12);
  assertClose(grad(a, 'x'), -4);
  assertClose(grad(a, 'y'), -4);
  assertClose(grad(a, 'z'), 3);
  assertClose(grad(a, 'q'), -4);
});

test('the sigmoid neuron gives the lecture numbers', () => {
  const a = run(example('sigmoid-neuron.grad'));
  assert.deepEqual(errors(a), []);
  const s = 1 / (1 + Math.exp(-1));
  assertClose(value(a, 'f'), s, 1e-15);
  const local = s * (1 - s); // ≈ 0.1966
  assertClose(grad(a, 'w'), [-1 * local, -2 * local, local], 1e-15);
  assertClose(grad(a, 'x'), [2 * local, -3 * local], 1e-15);
  // rounded as on the slide
  assert.deepEqual(
    grad(a, 'w').map((g) => Number(g.toFixed(2))),
    [-0.2, -0.39, 0.2],
  );
});

test('gradient flow patterns: add distributes, max routes, mul switches, copies add', () => {
  const a = run(example('gradient-flow.grad'));
  assert.deepEqual(errors(a), []);
  assertClose(grad(a, 'x'), -8);
  assertClose(grad(a, 'y'), 6);
  assertClose(grad(a, 'z'), 3);
  assertClose(grad(a, 'w'), 0);
});

test('a value used twice accumulates both gradients', () => {
  const a = run('input x = 3\ny = x * x + x\n');
  assertClose(grad(a, 'x'), 2 * 3 + 1);
});

test('int inputs and consts never get gradients; unused params are warned about', () => {
  const a = run('dims N = 3, C = 2\ninput s: [N, C]\ninput y: int[N] in 0..C\nconst k = 2\nparam v = 1\nparam u = 1\nloss = softmax_ce(s * k * v, y)\n');
  assert.deepEqual(errors(a), []);
  assert.equal(node(a, 'y').grad, null);
  assert.equal(node(a, 'k').grad, null);
  assert.ok(node(a, 'v').grad);
  assert.equal(node(a, 'u').grad, null);
  assert.deepEqual(codes(a), ['unused']);
  assert.equal(a.diagnostics[0].range.start.line, 5);
});

test('every example runs without errors and its expect lines hold', () => {
  for (const f of readdirSync(examplesDir).filter((x) => x.endsWith('.grad'))) {
    const a = analyze(readFileSync(join(examplesDir, f), 'utf8'), { fileName: f });
    assert.deepEqual(errors(a), [], f);
    assert.ok(a.root, `${f} has a root`);
  }
});

test('every example: engine gradients agree with central differences of the root', () => {
  for (const f of readdirSync(examplesDir).filter((x) => x.endsWith('.grad'))) {
    const worst = checkProgramGradients(readFileSync(join(examplesDir, f), 'utf8'));
    assert.ok(worst < 1e-7, `${f}: worst relative error ${worst}`);
  }
});

test('expect lines report the actual value when false', () => {
  const a = run('input x = -2\ninput y = 5\nf = (x + y) * 2\nexpect value f == 4\nexpect grad x == 2\nexpect grad y ~= 2.1\nexpect grad y ~= 2.0\n');
  const failed = a.diagnostics.filter((d) => d.code === 'expect-failed');
  assert.equal(failed.length, 2);
  assert.match(failed[0].message, /expected `f` to be 4 .*found 6/);
  assert.equal(failed[0].range.start.line, 3);
  assert.match(failed[1].message, /within ±0\.05, found 2/);
});

test('expect shape compares dimension names, not just sizes', () => {
  const a = run('dims N = 4, D = 5, H = 5\ninput X: [N, D]\ny = sum(X)\nexpect shape X == [N, H]\nexpect shape X == [N, D]\nexpect shape X == [4, 5]\n');
  const failed = a.diagnostics.filter((d) => d.code === 'expect-failed');
  assert.equal(failed.length, 1);
  assert.match(failed[0].message, /to have shape \[N, H\], found \[N, D\]/);
});

test('expect grad on a const or int explains why there is no gradient', () => {
  const a = run('const c = 2\ninput x = 1\ny = c * x\nexpect grad c == 1\n');
  assert.match(a.diagnostics.find((d) => d.code === 'expect-failed')?.message ?? '', /const: consts never receive gradients/);
});

test('initial values are identical on every run and independent of other declarations', () => {
  const base = 'seed 7\ndims D = 3\nparam W: [D, D] ~ he\nparam b: [D] ~ uniform(-1, 1)\nloss = sum(W) + sum(b)\n';
  const a1 = run(base);
  const a2 = run(base);
  assert.deepEqual(value(a1, 'W'), value(a2, 'W'));
  // Adding a parameter before W does not change W's values (one stream per name).
  const a3 = run(base.replace('param W', 'param V: [D] ~ randn\nparam W'));
  assert.deepEqual(value(a3, 'W'), value(a1, 'W'));
  // A different seed changes them.
  const a4 = run(base, { seed: 8 });
  assert.notDeepEqual(value(a4, 'W'), value(a1, 'W'));
  // he: std sqrt(2/fan_in) — check the scale on a large sample
  const big = run('dims D = 400, H = 300\nparam W: [D, H] ~ he\nloss = sum(W)\n');
  const w = value(big, 'W');
  const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 400)) < 0.003, `he std ${std}`);
});

test('the PRNG is pinned: known first values for a known seed and stream', () => {
  const r = new Prng(0, 'init:x');
  const first = [r.uniform(), r.uniform(), r.normal()];
  const again = new Prng(0, 'init:x');
  assert.deepEqual([again.uniform(), again.uniform(), again.normal()], first);
  first.slice(0, 2).forEach((u) => assert.ok(u >= 0 && u < 1));
  // integer labels cover the range and stay inside it
  const labels = run('dims N = 200, C = 3\ninput y: int[N] in 0..C\nparam s: [N, C]\nloss = softmax_ce(s, y)\n');
  const ys = value(labels, 'y');
  assert.deepEqual([...new Set(ys)].sort(), [0, 1, 2]);
});

test('the PRNG stream is pinned: the same words as xoshiro128** on uint32 words (the int32 state keeps the bits)', () => {
  const r = new Prng(7, 'gradcheck:fast:W1');
  assert.deepEqual([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.uniform()], [40072526, 1187424302, 3667172251, 2433048832, 0.08060960858944366]);
  // A plain uint32 implementation of xoshiro128** from the same state gives the same 99,999 words, and the next is the old code's.
  const fast = new Prng(0, 'node:3');
  const ref = new Prng(0, 'node:3') as unknown as { a: number; b: number; c: number; d: number };
  let [a, b, c, d] = [ref.a >>> 0, ref.b >>> 0, ref.c >>> 0, ref.d >>> 0];
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  for (let i = 0; i < 99999; i++) {
    const want = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    const got = fast.nextU32();
    if (got !== want) assert.fail(`draw ${i}: ${got} != ${want}`);
  }
  assert.equal(fast.nextU32(), 1223039841);
});

test('fillNormal draws the very numbers of normal() one by one, spares carried across calls', () => {
  for (const [seed, stream] of [[0, 'init:W1'], [5, 'gradcheck:dout:g:0']] as const) {
    const one = new Prng(seed, stream);
    const batch = new Prng(seed, stream);
    // odd and even lengths, so a pair's second normal is left as a spare and taken by the next call
    for (const [n, scale] of [[7, 0.3], [1, 2], [0, 1], [1000, -1.5], [3, 1], [2, 1e-3]] as const) {
      const want = Float64Array.from({ length: n }, () => scale * one.normal());
      const got = new Float64Array(n);
      batch.fillNormal(got, scale);
      for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) assert.fail(`seed ${seed}, call of ${n}, entry ${i}: ${got[i]} != ${want[i]}`);
    }
    assert.equal(batch.normal(), one.normal());
    assert.equal(batch.nextU32(), one.nextU32());
  }
});

test('dimension and seed overrides', () => {
  const a = run('dims N = 4, D = 3\ninput X: [N, D]\nloss = sum(X)\n', { dims: { N: 7 } });
  assert.deepEqual(node(a, 'X').shape, [7, 3]);
  assert.deepEqual(a.dims, { N: 7, D: 3 });
});

test('literal initial values: scalars broadcast, lists must match the declared shape', () => {
  const a = run('param b: [3] = 0.5\nparam w: [2, 2] = [[1, 2], [3, 4]]\nloss = sum(b) + sum(w)\n');
  assert.deepEqual(value(a, 'b'), [0.5, 0.5, 0.5]);
  assert.deepEqual(value(a, 'w'), [1, 2, 3, 4]);
  const bad = run('param w: [3] = [1, 2]\nloss = sum(w)\n');
  assert.match(errors(bad)[0], /bad-init: `w` is declared \[3\] but the literal is \[2\]/);
  const ragged = run('param w = [[1, 2], [3]]\nloss = sum(w)\n');
  assert.match(errors(ragged)[0], /ragged/);
  const unknown = run('param w: [3] ~ gaussian\nloss = sum(w)\n');
  assert.match(errors(unknown)[0], /unknown initialiser `gaussian`/);
});

test('NaN/Inf are reported at the node of origin with its input ranges', () => {
  const a = run('input x: [3] = [1, 2, 1000]\ny = exp(x)\nz = y * 2\nloss = sum(z)\n');
  const nf = a.diagnostics.filter((d) => d.code === 'non-finite');
  assert.equal(nf.length, 1);
  assert.equal(nf[0].range.start.line, 1);
  assert.match(nf[0].message, /`exp` produced Inf in 1 of 3 entries \(first at \[2\]\); inputs: x in \[1, 1000\]/);
  const l = run('input x = 0\ny = log(x)\n');
  assert.match(l.diagnostics.find((d) => d.code === 'non-finite')?.message ?? '', /`log` produced Inf/);
});

test('sizes over the limit get a diagnostic naming the tensor, before anything is allocated', () => {
  const a = run('dims N = 100000, D = 100000\ninput X: [N, D]\nloss = sum(X)\n');
  const d = a.diagnostics.find((x) => x.code === 'too-large');
  assert.ok(d);
  assert.match(d.message, /`X` would hold 100000×100000 = 10,000,000,000 elements, over the limit of 50,000,000/);
  const b = run('dims N = 3000\ninput X: [N, N]\nY = X @ X\nZ = Y @ X\nloss = sum(Z @ X)\n', { maxElements: 1e9 });
  assert.match(b.diagnostics.find((x) => x.code === 'too-large')?.message ?? '', /one forward and backward pass would take about .* operations/);
  const c = run('dims N = 10\ninput X: [N, N]\nloss = sum(X)\n', { maxElements: 50 });
  assert.match(c.diagnostics.find((x) => x.code === 'too-large')?.message ?? '', /`X` would hold 10×10 = 100 elements, over the limit of 50/);
});

test('a label outside its range is a diagnostic at the call, not a crash', () => {
  const a = run('dims N = 2, C = 3\ninput s: [N, C]\ninput y: int[N] = [0, 5]\nloss = softmax_ce(s, y)\n');
  const e = errors(a);
  assert.equal(e.length, 1);
  assert.match(e[0], /bad-argument: .*5/);
});

test('division by zero and log(0) are reported at their node, and no check passes through them', () => {
  const a = run('input x: [2] = [1, 0]\ny = 1 / x\nloss = sum(y)\n');
  const d = a.diagnostics.find((x) => x.code === 'non-finite');
  assert.ok(d);
  assert.equal(d.range.start.line, 1);
  assert.match(d.message, /`\/` produced Inf in 1 of 2 entries \(first at \[1\]\)/);
  assert.equal(a.gradchecks.length, 0, 'no gradient check runs on NaN/Inf values');
  const l = run('input p: [2] = [0.5, 0]\nloss = -sum(log(p))\n');
  assert.equal(l.diagnostics.find((x) => x.code === 'non-finite')?.range.start.line, 1);
  const nan = run('input x = 0\ny = x / x\n');
  assert.match(nan.diagnostics.find((x) => x.code === 'non-finite')?.message ?? '', /produced NaN/);
});
