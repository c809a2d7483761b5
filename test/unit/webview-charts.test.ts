// The dashboard charts' pure parts: nice ticks for the histograms, band labels placed where no bar
// covers them, and the histogram's default tensor (the most informative one, not a tensor of zeros).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { defaultHistogramNode } from '../../webview/charts/histogramPick';
import { placeLabel, type Box } from '../../webview/charts/labelPlacement';
import { niceStep, niceTicks } from '../../webview/charts/ticks';

/** Whether `v` is k × (1, 2 or 5) × 10ⁿ. */
function isNice(step: number): boolean {
  const m = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
  return [1, 2, 5].some((x) => Math.abs(m - x) < 1e-9);
}

test('ticks are multiples of a 1-2-5 step, inside the range, and print short', () => {
  const cases: [number, number][] = [
    [-0.08492, 0.001233],
    [0.001233, 0.0078],
    [-3.7, 12.2],
    [1e-7, 3.3e-6],
    [-1e5, 2.5e5],
    [0.99, 1.01],
  ];
  for (const [min, max] of cases) {
    const ticks = niceTicks(min, max);
    assert.ok(ticks.length >= 2 && ticks.length <= 11, `${min} … ${max}: ${ticks}`);
    const step = ticks[1] - ticks[0];
    assert.ok(isNice(Number(step.toPrecision(12))), `step ${step} of ${ticks}`);
    for (const t of ticks) {
      assert.ok(t >= min - 1e-12 && t <= max + 1e-12, `${t} outside ${min} … ${max}`);
      // At most the digits of the step: no -0.08492-like labels.
      const k = t / step;
      assert.ok(Math.abs(k - Math.round(k)) < 1e-6, `${t} is not a multiple of ${step}`);
      assert.ok(String(t).replace(/^-/, '').length <= 10, `${t} prints long`);
    }
  }
  assert.deepEqual(niceTicks(-0.08492, 0.001233), [-0.08, -0.06, -0.04, -0.02, 0]);
  assert.deepEqual(niceTicks(2, 2), [2]);
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(7, 5), 2);
});

test('a band label goes where no bar covers it, on the preferred side when free', () => {
  const band: Box = { left: 0, top: 100, right: 300, bottom: 200 };
  // Nothing in the way: top right.
  assert.deepEqual(placeLabel(band, 50, 10, [], 'right'), { x: 247, y: 103 });
  // A bar at the right end reaching into the band: the label moves left.
  const bars: Box[] = [
    { left: 10, top: 150, right: 60, bottom: 200 },
    { left: 240, top: 50, right: 290, bottom: 200 },
  ];
  const spot = placeLabel(band, 50, 10, bars, 'right');
  assert.ok(spot);
  const box = { left: spot.x, top: spot.y, right: spot.x + 50, bottom: spot.y + 10 };
  for (const b of bars) assert.ok(box.right <= b.left || box.left >= b.right || box.bottom <= b.top || box.top >= b.bottom, `${JSON.stringify(box)} overlaps ${JSON.stringify(b)}`);
  assert.ok(box.left >= band.left && box.right <= band.right && box.top >= band.top && box.bottom <= band.bottom);
  // Tall bars with narrow gaps, one short bar: the label sits over the short one.
  const columns: Box[] = [0, 1, 2, 3].map((i) => ({ left: 5 + i * 75, top: i === 2 ? 190 : 20, right: 65 + i * 75, bottom: 200 }));
  const over = placeLabel(band, 50, 10, columns, 'right');
  assert.ok(over && over.x >= columns[2].left && over.x + 50 <= columns[2].right && over.y + 10 <= 190, JSON.stringify(over));
  // Bars everywhere: no label at all rather than one under a bar.
  const full: Box[] = Array.from({ length: 6 }, (_, i) => ({ left: i * 50, top: 0, right: i * 50 + 50, bottom: 200 }));
  assert.equal(placeLabel(band, 50, 10, full, 'right'), null);
  // A band too thin for the text: none.
  assert.equal(placeLabel({ left: 0, top: 0, right: 300, bottom: 8 }, 50, 10, []), null);
});

test('the histograms open on the most informative tensor: not h0 (zeros) in the rnn', () => {
  const rnn = analyze(readFileSync(join(__dirname, '..', '..', 'examples', 'rnn.grad'), 'utf8'));
  const h0 = rnn.nodes.find((n) => n.name === 'h0');
  assert.ok(h0?.valueStats && h0.valueStats.min === h0.valueStats.max, 'h0 is constant (the case of the issue)');
  const pick = defaultHistogramNode(rnn.nodes);
  assert.ok(pick);
  assert.equal(pick.kind, 'param');
  assert.ok(pick.valueStats && pick.valueStats.max > pick.valueStats.min, `${pick.name}'s values vary`);
  assert.ok(pick.gradStats && pick.gradStats.max > pick.gradStats.min, `${pick.name}'s gradients vary`);
  // The largest such param.
  const rivals = rnn.nodes.filter((n) => n.kind === 'param' && n.valueStats && n.valueStats.max > n.valueStats.min && n.gradStats && n.gradStats.max > n.gradStats.min);
  assert.equal(pick.name, [...rivals].sort((a, b) => b.shape.reduce((x, y) => x * y, 1) - a.shape.reduce((x, y) => x * y, 1))[0].name);
  // Every example: the pick varies whenever some tensor does.
  for (const f of ['two-layer-net.grad', 'convnet.grad', 'circuit.grad', 'softmax-loss.grad']) {
    const a = analyze(readFileSync(join(__dirname, '..', '..', 'examples', f), 'utf8'));
    const p = defaultHistogramNode(a.nodes);
    assert.ok(p, f);
    const anyVaries = a.nodes.some((n) => n.valueStats && n.valueStats.max > n.valueStats.min);
    assert.equal(!!(p.valueStats && p.valueStats.max > p.valueStats.min), anyVaries, `${f}: ${p.name}`);
  }
});
