import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avgPool2d, col2im, col2imLoop, conv2d, CONVOLUTION_OPS, maxPool2d, PATCH_TILE, type ConvGeometry } from '../../src/core/ops/convolution';
import type { Attrs, OpDef } from '../../src/core/ops/op';
import type { ShapeResult } from '../../src/core/shapes/broadcast';
import { lit, named, type Shape } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { failure, syms } from './helpers/shapeRule';

function shapeOf(op: OpDef, shapes: Shape[], attrs: Attrs): ShapeResult {
  return op.shape({ label: op.name, types: shapes.map((shape) => ({ shape, isInt: false })) }, attrs);
}

/** Direct six-loop convolution, the definition the im2col version must agree with. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor, stride: number, pad: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [F, , kh, kw] = w.shape;
  const Ho = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - kw) / stride) + 1;
  const out = new Tensor([N, F, Ho, Wo]);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++, o++) {
          let acc = b.data[f];
          for (let c = 0; c < C; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * stride - pad + i;
                const ix = ox * stride - pad + j;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += x.data[((n * C + c) * H + iy) * W + ix] * w.data[((f * C + c) * kh + i) * kw + j];
              }
          out.data[o] = acc;
        }
  return out;
}

/** Distinct values in random order, 0.1 apart, so a finite-difference step never changes a window's winner. */
function distinctTensor(shape: number[], seed: number): Tensor {
  const t = new Tensor(shape);
  const rng = testRng(seed);
  const vals = Array.from({ length: t.size }, (_, i) => (i - t.size / 2) * 0.1);
  for (let i = vals.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [vals[i], vals[j]] = [vals[j], vals[i]];
  }
  t.data.set(vals);
  return t;
}

test('CONVOLUTION_OPS lists the three ops with their group and texts', () => {
  assert.deepEqual(
    CONVOLUTION_OPS.map((o) => o.id),
    ['conv2d', 'max_pool2d', 'avg_pool2d'],
  );
  for (const op of CONVOLUTION_OPS) {
    assert.equal(op.group, 'convolution');
    assert.ok(op.summary.length > 0 && op.explain.length > 0);
  }
  assert.ok(maxPool2d.kinks && /first/.test(maxPool2d.kinks));
  assert.deepEqual(
    conv2d.signature.map((p) => [p.name, p.kind, p.default]),
    [
      ['x', 'tensor', undefined],
      ['w', 'tensor', undefined],
      ['b', 'tensor', undefined],
      ['stride', 'int', 1],
      ['pad', 'int', 0],
    ],
  );
});

// ------------------------------------------------------------------ conv2d shapes

const N = named('N', 4);
const C = named('C', 3);
const H = named('H', 8);
const W = named('W', 8);
const F = named('F', 6);

test('conv2d shape: pad 1 with a 3×3 kernel keeps H and W', () => {
  const r = shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3), lit(3)], [F]], { stride: 1, pad: 1 });
  assert.deepEqual(syms(r), ['N', 'F', 'H', 'W']);
});

test('conv2d shape: derived output dims carry their sizes', () => {
  const r = shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3), lit(2)], [F]], { stride: 2, pad: 0 });
  assert.ok(r.ok);
  assert.deepEqual(
    r.shape.map((d) => [d.sym, d.size]),
    [
      ['N', 4],
      ['F', 6],
      ['(H-3)/2+1', 3],
      ['(W-2)/2+1', 4],
    ],
  );
  const lits = shapeOf(conv2d, [[lit(2), lit(3), lit(5), lit(7)], [lit(4), lit(3), lit(3), lit(3)], [lit(4)]], { stride: 2, pad: 1 });
  assert.deepEqual(syms(lits), ['2', '4', '3', '4']);
  // Unknown sizes (inside a gate) still give a symbolic result.
  const sym = shapeOf(conv2d, [[named('N', null), C, named('H', null), named('W', null)], [F, C, lit(5), lit(5)], [F]], { stride: 1, pad: 0 });
  assert.deepEqual(syms(sym), ['N', 'F', 'H-5+1', 'W-5+1']);
});

test('conv2d shape: wrong ranks name the argument and the expected layout', () => {
  const x = failure(shapeOf(conv2d, [[N, named('D', 10)], [F, C, lit(3), lit(3)], [F]], { stride: 1, pad: 0 }));
  assert.ok(x.message.startsWith('conv2d expects x as [N, C, H, W], found [N, D];'), x.message);
  assert.equal(x.argIndex, 0);
  assert.equal(x.code, 'shape-mismatch');
  const w = failure(shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3)], [F]], { stride: 1, pad: 0 }));
  assert.match(w.message, /expects w as \[F, C, kh, kw\], found \[F, C, 3\]/);
  assert.equal(w.argIndex, 1);
  const b = failure(shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3), lit(3)], [F, lit(1)]], { stride: 1, pad: 0 }));
  assert.match(b.message, /expects b as \[F\], found \[F, 1\].*declare it as \[F\]/);
  assert.equal(b.argIndex, 2);
});

test('conv2d shape: channel and filter mismatches name both dims', () => {
  const K = named('K', 4);
  const ch = failure(shapeOf(conv2d, [[N, C, H, W], [F, K, lit(3), lit(3)], [F]], { stride: 1, pad: 0 }));
  assert.match(ch.message, /x \[N, C, H, W\] has C input channels but w \[F, K, 3, 3\] expects K/);
  assert.match(ch.message, /C=3/);
  assert.match(ch.message, /K=4/);
  assert.match(ch.message, /second dimension of w must equal/);
  assert.equal(ch.argIndex, 1);
  assert.equal(ch.code, 'shape-mismatch');
  const bias = failure(shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3), lit(3)], [K]], { stride: 1, pad: 0 }));
  assert.match(bias.message, /b \[K\] must have one bias per filter.*\[F\].*F=6.*K=4/);
  assert.equal(bias.argIndex, 2);
});

test('conv2d shape: bad stride/pad and kernels that do not fit', () => {
  const s = failure(shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3), lit(3)], [F]], { stride: 0, pad: 0 }));
  assert.equal(s.code, 'bad-argument');
  assert.match(s.message, /stride must be an integer ≥ 1, found 0/);
  const p = failure(shapeOf(conv2d, [[N, C, H, W], [F, C, lit(3), lit(3)], [F]], { stride: 1, pad: -1 }));
  assert.equal(p.code, 'bad-argument');
  assert.match(p.message, /pad must be an integer ≥ 0, found -1/);
  const big = failure(shapeOf(conv2d, [[N, C, named('H', 2), W], [F, C, lit(5), lit(1)], [F]], { stride: 1, pad: 1 }));
  assert.equal(big.code, 'shape-mismatch');
  assert.match(big.message, /kernel is larger than the padded input: height H \+ 2·1 = 4 < 5/);
  assert.match(big.message, /pad=2/);
  const unknownK = failure(shapeOf(conv2d, [[N, C, H, W], [F, C, named('k', null), lit(3)], [F]], { stride: 1, pad: 0 }));
  assert.match(unknownK.message, /kernel size of w \[F, C, k, 3\] must be known/);
});

test('conv2d shape: same-size names are reported as conflicts', () => {
  const r = shapeOf(conv2d, [[N, C, H, W], [F, named('D', 3), lit(3), lit(3)], [F]], { stride: 1, pad: 1 });
  assert.ok(r.ok);
  assert.deepEqual(
    r.conflicts?.map(([a, b]) => [a.sym, b.sym]),
    [['C', 'D']],
  );
});

// ------------------------------------------------------------------ conv2d values and gradients

test('conv2d forward matches hand-computed values', () => {
  const x = tensorOf([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = tensorOf([1, 1, 2, 2], [1, 2, 3, 4]);
  const plain = conv2d.forward([x, w, tensorOf([1], [1])], { stride: 1, pad: 0 }, fixedContext()).value;
  assert.deepEqual([...plain.shape], [1, 1, 2, 2]);
  assert.deepEqual([...plain.data], [38, 48, 68, 78]);
  // Padded by 1 and stride 2: the corner windows see mostly zeros.
  const padded = conv2d.forward([x, w, tensorOf([1], [0])], { stride: 2, pad: 1 }, fixedContext()).value;
  assert.deepEqual([...padded.shape], [1, 1, 2, 2]);
  assert.deepEqual([...padded.data], [4, 18, 36, 77]);
});

test('conv2d forward matches a direct convolution', () => {
  const rng = testRng(3);
  for (const [stride, pad, kh, kw] of [
    [1, 0, 3, 3],
    [2, 1, 3, 2],
    [1, 2, 1, 4],
    [3, 1, 2, 2],
  ]) {
    const x = randomTensor([2, 3, 7, 6], rng);
    const w = randomTensor([4, 3, kh, kw], rng);
    const b = randomTensor([4], rng);
    const got = conv2d.forward([x, w, b], { stride, pad }, fixedContext()).value;
    const want = naiveConv(x, w, b, stride, pad);
    assert.deepEqual([...got.shape], [...want.shape]);
    for (let i = 0; i < got.size; i++) assert.ok(Math.abs(got.data[i] - want.data[i]) < 1e-12, `stride ${stride} pad ${pad}: entry ${i}`);
  }
});

// conv2d and the pools are linear in each input they are perturbed in, so a central difference
// has no truncation error at any step; a larger step keeps round-off (≈ ε·|L|/h) well under the tolerance.
const LINEAR_STEP = 1e-3;

test('conv2d gradients match finite differences', () => {
  const rng = testRng(5);
  const configs: [number[], number[], number, number][] = [
    [[2, 2, 5, 5], [3, 2, 3, 3], 1, 0],
    [[2, 2, 5, 5], [3, 2, 3, 3], 1, 1],
    [[2, 3, 6, 5], [2, 3, 3, 3], 2, 1],
    [[1, 2, 7, 6], [3, 2, 2, 3], 2, 0],
    [[3, 1, 4, 5], [2, 1, 1, 2], 1, 1],
    [[2, 2, 5, 6], [2, 2, 3, 2], 3, 2],
  ];
  for (const [xs, ws, stride, pad] of configs) {
    const x = randomTensor(xs, rng);
    const w = randomTensor(ws, rng);
    const b = randomTensor([ws[0]], rng);
    const worst = checkOpGradient(conv2d, [x, w, b], { stride, pad }, { h: LINEAR_STEP });
    assert.ok(worst < 1e-7, `x ${xs} w ${ws} stride ${stride} pad ${pad}: ${worst}`);
  }
});

test('conv2d backward returns null for inputs that need no gradient', () => {
  const rng = testRng(9);
  const x = randomTensor([1, 2, 4, 4], rng);
  const w = randomTensor([2, 2, 3, 3], rng);
  const b = randomTensor([2], rng);
  const attrs = { stride: 1, pad: 1 };
  const fwd = conv2d.forward([x, w, b], attrs, fixedContext());
  const grad = randomTensor([...fwd.value.shape], rng);
  const all = conv2d.backward({ inputs: [x, w, b], out: fwd.value, grad, saved: fwd.saved, attrs, needs: [true, true, true] });
  const onlyW = conv2d.backward({ inputs: [x, w, b], out: fwd.value, grad, saved: fwd.saved, attrs, needs: [false, true, false] });
  assert.equal(onlyW[0], null);
  assert.equal(onlyW[2], null);
  assert.deepEqual([...(onlyW[1] as Tensor).data], [...(all[1] as Tensor).data]);
  // db is the upstream summed over the batch and positions.
  let total = 0;
  for (let i = 0; i < 16; i++) total += grad.data[i];
  assert.ok(Math.abs((all[2] as Tensor).data[0] - total) < 1e-12);
});

test('conv2d cost grows with the multiply-adds: taps × filters × positions', () => {
  const at = (k: number, f: number) => conv2d.cost?.([[8, 3, 32, 32], [f, 3, k, k], [f]], [8, f, 33 - k, 33 - k], { stride: 1, pad: 0 }) ?? 0;
  assert.ok(at(5, 16) > 2 * at(3, 16));
  assert.ok(at(3, 64) > 2 * at(3, 16));
});

test('conv2d lowers large images a band of output rows at a time: bounded workspace, same values', () => {
  // 2000×2000 pixels, a 10×10 kernel: the whole patch matrix would be 101 × 3.96e6 floats.
  const ws = conv2d.workspace?.([[1, 1, 2000, 2000], [1, 1, 10, 10], [1]], [1, 1, 1991, 1991], { stride: 1, pad: 0 }) ?? {};
  assert.ok((ws.scratch ?? 0) + (ws.saved ?? 0) < 3 * PATCH_TILE, JSON.stringify(ws));
  // Banded and whole-image lowering agree: a 300×300 image and a 5×5 kernel lower in 3 bands when
  // the patches are not kept (forwardOnly), in one piece when they are.
  const x = new Tensor([1, 1, 300, 300]);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i);
  const w = new Tensor([2, 1, 5, 5]);
  for (let i = 0; i < w.size; i++) w.data[i] = Math.cos(i);
  const b = Tensor.full([2], 0.5);
  const attrs = { stride: 1, pad: 1 };
  const ctx = { trackKinks: false, random: () => new Float64Array(0) };
  const banded = conv2d.forward([x, w, b], attrs, { ...ctx, forwardOnly: true });
  const whole = conv2d.forward([x, w, b], attrs, ctx);
  assert.equal(banded.saved, undefined);
  assert.ok(whole.saved instanceof Float64Array);
  assert.deepEqual([...banded.value.data], [...whole.value.data]);
  // Backward from kept patches and from patches rebuilt band by band: the same gradients (dw sums
  // its bands in another order, so up to rounding).
  const grad = new Tensor(whole.value.shape);
  for (let i = 0; i < grad.size; i++) grad.data[i] = Math.sin(3 * i);
  const args = { inputs: [x, w, b], out: whole.value, grad, attrs, needs: [true, true, true] };
  const fromKept = conv2d.backward({ ...args, saved: whole.saved });
  const rebuilt = conv2d.backward({ ...args, saved: undefined });
  for (let k = 0; k < 3; k++) {
    const [p, q] = [fromKept[k] as Tensor, rebuilt[k] as Tensor];
    for (let i = 0; i < p.size; i++) assert.ok(Math.abs(p.data[i] - q.data[i]) <= 1e-9 * (1 + Math.abs(p.data[i])), `grad ${k}[${i}]: ${p.data[i]} vs ${q.data[i]}`);
  }
});

/** x with `pad` zeros around every image. */
function zeroPadded(x: Tensor, pad: number): Tensor {
  const [N, C, H, W] = x.shape;
  const out = new Tensor([N, C, H + 2 * pad, W + 2 * pad]);
  for (let nc = 0; nc < N * C; nc++)
    for (let y = 0; y < H; y++) out.data.set(x.data.subarray((nc * H + y) * W, (nc * H + y + 1) * W), (nc * (H + 2 * pad) + y + pad) * (W + 2 * pad) + pad);
  return out;
}

test('conv2d with "same" padding (its patches copied a run of rows at a time) has the bits of the zero-padded input with pad 0', () => {
  const rng = testRng(11);
  const bits = (v: Float64Array) => [...new BigUint64Array(v.buffer, v.byteOffset, v.length)];
  const ctx = { trackKinks: false, random: () => new Float64Array(0) };
  // [N, C, H, W], kernel, pad (2·pad = k − 1, so Wo = W); 1-pixel-wide images; a large one lowered in bands.
  for (const [shape, k, pad, forwardOnly] of [
    [[2, 3, 8, 8], 3, 1, false],
    [[1, 2, 7, 9], 5, 2, false],
    [[2, 2, 5, 6], 1, 0, false],
    [[1, 2, 4, 1], 3, 1, false],
    [[1, 3, 200, 200], 3, 1, true],
  ] as [number[], number, number, boolean][]) {
    const x = randomTensor(shape, rng);
    const w = randomTensor([4, shape[1], k, k], rng);
    const b = randomTensor([4], rng);
    const xp = zeroPadded(x, pad);
    const same = conv2d.forward([x, w, b], { stride: 1, pad }, { ...ctx, forwardOnly });
    const padded = conv2d.forward([xp, w, b], { stride: 1, pad: 0 }, { ...ctx, forwardOnly });
    assert.deepEqual(bits(same.value.data), bits(padded.value.data), `${shape} k=${k}`);
    const grad = randomTensor([...same.value.shape], rng);
    const g1 = conv2d.backward({ inputs: [x, w, b], out: same.value, grad, saved: same.saved, attrs: { stride: 1, pad }, needs: [true, true, true] });
    const g2 = conv2d.backward({ inputs: [xp, w, b], out: padded.value, grad, saved: padded.saved, attrs: { stride: 1, pad: 0 }, needs: [true, true, true] });
    assert.deepEqual(bits((g1[1] as Tensor).data), bits((g2[1] as Tensor).data), `dw ${shape} k=${k}`);
    assert.deepEqual(bits((g1[0] as Tensor).data), bits(unpad(g2[0] as Tensor, pad).data), `dx ${shape} k=${k}`);
  }
});

test("col2im at stride 1 on WebAssembly SIMD (runs of pixels) gives the JavaScript loop's bits, bands and odd shapes included", () => {
  const rng = testRng(23);
  // [C, H, W], kernel, pad; then bands of output rows (oy0, rows) of each geometry.
  for (const [C, H, W, k, pad] of [
    [2, 8, 8, 3, 1],
    [3, 7, 9, 5, 2],
    [2, 5, 6, 1, 0],
    [2, 4, 1, 3, 1],
    [1, 6, 6, 3, 0],
    [2, 5, 7, 3, 2],
    [16, 16, 16, 3, 1],
  ]) {
    const Ho = H + 2 * pad - k + 1;
    const Wo = W + 2 * pad - k + 1;
    const g: ConvGeometry = { N: 1, C, H, W, F: 1, kh: k, kw: k, stride: 1, pad, Ho, Wo };
    for (const [oy0, rows] of [[0, Ho], [0, Math.max(1, Ho >> 1)], [Ho >> 1, Ho - (Ho >> 1)], [Ho - 1, 1]]) {
      const cols = Float64Array.from({ length: C * k * k * rows * Wo }, () => rng() * 2 - 1);
      // The pixels' values before: varied, with −0 and +0, at an offset into the buffer.
      const before = Float64Array.from({ length: 3 + C * H * W + 2 }, (_, i) => (i % 7 === 0 ? -0 : i % 5 === 0 ? 0 : rng() * 1e-3));
      const [simd, loop] = [before.slice(), before.slice()];
      col2im(cols, g, oy0, rows, simd, 3);
      col2imLoop(cols, g, oy0, rows, loop, 3);
      const bits = (v: Float64Array) => [...new BigUint64Array(v.buffer)];
      assert.deepEqual(bits(simd), bits(loop), `C=${C} H=${H} W=${W} k=${k} pad=${pad} rows ${oy0}+${rows}`);
    }
  }
});

/** The interior of a padded tensor (the inverse of zeroPadded). */
function unpad(x: Tensor, pad: number): Tensor {
  const [N, C, Hp, Wp] = x.shape;
  const [H, W] = [Hp - 2 * pad, Wp - 2 * pad];
  const out = new Tensor([N, C, H, W]);
  for (let nc = 0; nc < N * C; nc++) for (let y = 0; y < H; y++) out.data.set(x.data.subarray((nc * Hp + y + pad) * Wp + pad, (nc * Hp + y + pad) * Wp + pad + W), (nc * H + y) * W);
  return out;
}

// ------------------------------------------------------------------ pooling

test('pool shapes: default 2×2 stride 2 halves, overlapping windows, bad arguments', () => {
  for (const op of [maxPool2d, avgPool2d]) {
    const half = shapeOf(op, [[N, C, H, W]], { size: 2, stride: 2 });
    assert.ok(half.ok);
    assert.deepEqual(
      half.shape.map((d) => [d.sym, d.size]),
      [
        ['N', 4],
        ['C', 3],
        ['(H-2)/2+1', 4],
        ['(W-2)/2+1', 4],
      ],
    );
    assert.deepEqual(syms(shapeOf(op, [[lit(1), lit(2), lit(5), lit(4)]], { size: 3, stride: 1 })), ['1', '2', '3', '2']);
    const rank = failure(shapeOf(op, [[N, named('D', 10)]], { size: 2, stride: 2 }));
    assert.ok(rank.message.startsWith(`${op.name} expects x as [N, C, H, W], found [N, D];`), rank.message);
    assert.equal(rank.code, 'shape-mismatch');
    assert.equal(failure(shapeOf(op, [[N, C, H, W]], { size: 0, stride: 2 })).code, 'bad-argument');
    assert.equal(failure(shapeOf(op, [[N, C, H, W]], { size: 2, stride: 0 })).code, 'bad-argument');
    const big = failure(shapeOf(op, [[N, C, named('H', 3), W]], { size: 4, stride: 2 }));
    assert.match(big.message, /4×4 window is larger than the input: height H = 3 < 4/);
    assert.match(big.message, /use size=3 or less/);
  }
});

test('max_pool2d forward and avg_pool2d forward match hand-computed values', () => {
  const x = tensorOf([1, 1, 4, 4], [1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 6, 7, 9, 1, 3, 2]);
  const mx = maxPool2d.forward([x], { size: 2, stride: 2 }, fixedContext()).value;
  assert.deepEqual([...mx.shape], [1, 1, 2, 2]);
  assert.deepEqual([...mx.data], [5, 8, 9, 7]);
  const av = avgPool2d.forward([x], { size: 2, stride: 2 }, fixedContext()).value;
  assert.deepEqual([...av.data], [13 / 4, 11 / 4, 12 / 4, 18 / 4]);
  // 3×3 windows at stride 1 overlap; a trailing row/column that no window reaches is dropped at stride 2.
  const ov = maxPool2d.forward([x], { size: 3, stride: 1 }, fixedContext()).value;
  assert.deepEqual([...ov.data], [8, 8, 9, 8]);
  const odd = avgPool2d.forward([tensorOf([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])], { size: 2, stride: 2 }, fixedContext()).value;
  assert.deepEqual([...odd.shape], [1, 1, 1, 1]);
  assert.deepEqual([...odd.data], [3]);
});

test('max_pool2d gradients match finite differences (distinct values)', () => {
  const configs: [number[], number, number][] = [
    [[2, 2, 4, 4], 2, 2],
    [[2, 3, 5, 5], 2, 2],
    [[1, 2, 5, 6], 3, 1],
    [[2, 1, 6, 5], 3, 2],
    [[1, 1, 4, 4], 1, 1],
  ];
  configs.forEach(([shape, size, stride], k) => {
    const worst = checkOpGradient(maxPool2d, [distinctTensor(shape, 20 + k)], { size, stride }, { h: LINEAR_STEP });
    assert.ok(worst < 1e-7, `${shape} size ${size} stride ${stride}: ${worst}`);
  });
});

test('avg_pool2d gradients match finite differences', () => {
  const rng = testRng(31);
  const configs: [number[], number, number][] = [
    [[2, 2, 4, 4], 2, 2],
    [[2, 3, 5, 5], 2, 2],
    [[1, 2, 5, 6], 3, 1],
    [[2, 1, 7, 5], 3, 2],
  ];
  for (const [shape, size, stride] of configs) {
    const worst = checkOpGradient(avgPool2d, [randomTensor(shape, rng)], { size, stride }, { h: LINEAR_STEP });
    assert.ok(worst < 1e-7, `${shape} size ${size} stride ${stride}: ${worst}`);
  }
});

test('max_pool2d: the first maximum in row-major order wins ties; overlapping wins accumulate', () => {
  const attrs = { size: 2, stride: 2 };
  const x = tensorOf([1, 1, 2, 4], [3, 1, 7, 7, 2, 3, 7, 7]);
  const fwd = maxPool2d.forward([x], attrs, fixedContext());
  const grad = tensorOf([1, 1, 1, 2], [10, 20]);
  const [dx] = maxPool2d.backward({ inputs: [x], out: fwd.value, grad, saved: fwd.saved, attrs, needs: [true] });
  // Window 1: 3 at (0,0) and (1,1) tie, the first wins. Window 2: all four tie, (0,2) wins.
  assert.deepEqual([...(dx as Tensor).data], [10, 0, 20, 0, 0, 0, 0, 0]);

  const flat = tensorOf([1, 1, 3, 3], [1, 2, 1, 2, 9, 2, 1, 2, 1]);
  const o = { size: 2, stride: 1 };
  const f2 = maxPool2d.forward([flat], o, fixedContext());
  const [d2] = maxPool2d.backward({ inputs: [flat], out: f2.value, grad: tensorOf([1, 1, 2, 2], [1, 2, 3, 4]), saved: f2.saved, attrs: o, needs: [true] });
  // The centre wins all four overlapping windows and collects all their gradients.
  assert.deepEqual([...(d2 as Tensor).data], [0, 0, 0, 0, 10, 0, 0, 0, 0]);
});

test('max_pool2d records the winning input index as kinks', () => {
  const attrs = { size: 2, stride: 2 };
  const ctx = { ...fixedContext(), trackKinks: true };
  const x = tensorOf([1, 2, 2, 2], [1, 4, 4, 2, 5, 0, 0, 5]);
  const fwd = maxPool2d.forward([x], attrs, ctx);
  assert.deepEqual([...(fwd.kinks as Int32Array)], [1, 4]);
  assert.equal(maxPool2d.forward([x], attrs, fixedContext()).kinks, undefined);
  // Nudging the runner-up past the winner changes the recorded side of the kink.
  const nudged = x.clone();
  nudged.data[2] += 1e-6;
  assert.deepEqual([...(maxPool2d.forward([nudged], attrs, ctx).kinks as Int32Array)], [2, 4]);
  // A nudge that keeps the winner leaves the kinks unchanged.
  const kept = x.clone();
  kept.data[0] += 1e-6;
  assert.deepEqual([...(maxPool2d.forward([kept], attrs, ctx).kinks as Int32Array)], [1, 4]);
});
