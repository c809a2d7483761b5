// Broadcasting binary kernels: an operand that is one row of the other (a bias) takes a fast
// path; it must give what the element-by-element numpy rule gives, on either side and at any rank.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binaryBroadcast, broadcastSizes, Tensor, unbroadcast, unravel, type BinaryRun } from '../../src/core/tensor/tensor';

const sub: BinaryRun = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = a[ai + k * as] - b[bi + k * bs];
};

function filled(shape: number[], seed: number): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.sin(seed + 1.7 * i);
  return t;
}

/** a[i] - b[i] with each operand's index taken modulo its own (right-aligned) shape. */
function byIndex(a: Tensor, b: Tensor, out: number[]): number[] {
  const at = (t: Tensor, idx: number[]) => {
    let off = 0;
    for (let k = 0; k < t.rank; k++) off = off * t.shape[k] + (t.shape[k] === 1 ? 0 : idx[idx.length - t.rank + k]);
    return t.data[off];
  };
  const n = out.reduce((x, y) => x * y, 1);
  return Array.from({ length: n }, (_, i) => {
    const idx = unravel(i, out);
    return at(a, idx) - at(b, idx);
  });
}

test('a row broadcast against a matrix or a batch gives the numpy result, on either side', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4]],
    [[4], [3, 4]],
    [[2, 3, 5], [5]],
    [[2, 3, 5], [1, 5]],
    [[1, 1, 5], [2, 3, 5]],
    [[6, 1], [1]],
    [[3, 4], [3, 1]],
  ];
  for (const [sa, sb] of cases) {
    const a = filled(sa, 1);
    const b = filled(sb, 2);
    const out = broadcastSizes(sa, sb) as number[];
    const got = binaryBroadcast(a, b, out, sub);
    assert.deepEqual(got.shape, out);
    assert.deepEqual([...got.data], byIndex(a, b, out), `[${sa}] - [${sb}]`);
  }
});

test('the gradient of a broadcast row (a bias) is the sum of the rows in order, bit for bit, at any rank', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4]],
    [[2, 3, 5], [5]],
    [[2, 3, 5], [1, 5]],
    [[2, 3, 5], [1, 1, 5]],
    [[7, 2], [1, 2]],
  ];
  for (const [sg, shape] of cases) {
    const g = filled(sg, 3);
    const inner = sg[sg.length - 1];
    // The reference order: one running sum per column, the rows added from the first.
    const want = new Array<number>(inner).fill(0);
    for (let o = 0; o < g.size; o += inner) for (let k = 0; k < inner; k++) want[k] += g.data[o + k];
    const got = unbroadcast(g, shape);
    assert.deepEqual(got.shape, shape);
    assert.deepEqual([...got.data], want, `[${sg}] -> [${shape}]`);
  }
  // Not a row: a column [3, 1] of a [3, 4] gradient sums each row.
  const g = filled([3, 4], 5);
  const col = unbroadcast(g, [3, 1]);
  assert.deepEqual([...col.data], [0, 1, 2].map((r) => g.data[4 * r] + g.data[4 * r + 1] + g.data[4 * r + 2] + g.data[4 * r + 3]));
});
