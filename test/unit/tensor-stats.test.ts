// The statistics drawn in lenses, hovers and charts: checked against a plain reference (three
// readable passes) on random data with zeros, huge and subnormal values, NaN and ±Infinity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HISTOGRAM_BINS, tensorStats } from '../../src/core/stats';
import { Prng } from '../../src/core/engine/prng';

function reference(data: Float64Array) {
  const finite = Array.from(data).filter((v) => Number.isFinite(v));
  const min = finite.length ? Math.min(...finite) : NaN;
  const max = finite.length ? Math.max(...finite) : NaN;
  let sum = 0;
  let sq = 0;
  for (const v of finite) {
    sum += v;
    sq += v * v;
  }
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of finite) histogram[max > min ? Math.min(HISTOGRAM_BINS - 1, Math.floor(((v - min) / (max - min)) * HISTOGRAM_BINS)) : Math.floor(HISTOGRAM_BINS / 2)]++;
  return {
    count: data.length,
    min,
    max,
    mean: finite.length ? sum / finite.length : NaN,
    norm: Math.sqrt(sq),
    zeros: data.length ? finite.filter((v) => v === 0).length / data.length : 0,
    nonFinite: data.length - finite.length,
    histogram,
  };
}

test('tensorStats agrees with a plain reference, bit for bit, on data of every kind', () => {
  const p = new Prng(3, 'stats');
  const kinds: ((i: number) => number)[] = [
    () => p.normal(),
    () => (p.uniform() < 0.3 ? 0 : p.normal() * 1e300),
    () => [NaN, Infinity, -Infinity, 0, 1][p.int(0, 5)],
    () => 7,
    () => p.normal() * 1e-310,
    () => p.int(-3, 3),
  ];
  for (let t = 0; t < 600; t++) {
    const data = new Float64Array(p.int(0, 200));
    const kind = kinds[t % kinds.length];
    for (let i = 0; i < data.length; i++) data[i] = kind(i);
    assert.deepEqual(tensorStats(data), reference(data), `case ${t}: [${Array.from(data.slice(0, 6)).join(', ')}…]`);
  }
});

test('the largest finite value falls in the last bin, the smallest in the first', () => {
  const s = tensorStats(new Float64Array([-1, 0, 0.5, 1, NaN]));
  assert.equal(s.histogram[0], 1);
  assert.equal(s.histogram[HISTOGRAM_BINS - 1], 1);
  assert.equal(s.histogram.reduce((a, b) => a + b, 0), 4);
  assert.equal(s.nonFinite, 1);
});
