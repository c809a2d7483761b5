// Loss landscape and SGD training (the dashboard's long tasks), computed in the core.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { filterNormalisedDirection, lossLandscape } from '../../src/core/explore/landscape';
import { train } from '../../src/core/explore/training';
import { Tensor } from '../../src/core/tensor/tensor';
import { randomTensor, testRng } from './helpers/opcheck';

const twoLayer = readFileSync(join(__dirname, '..', '..', 'examples', 'two-layer-net.grad'), 'utf8');
const control = () => ({ progress: () => {}, cancelled: () => false });

test('filter-normalised directions: each filter has the norm of the same filter of θ; biases get none', () => {
  const theta = randomTensor([5, 3], testRng(1));
  const d = filterNormalisedDirection(theta, 0, 'x');
  for (let j = 0; j < 3; j++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < 5; i++) {
      a += d.data[i * 3 + j] ** 2;
      b += theta.data[i * 3 + j] ** 2;
    }
    assert.ok(Math.abs(Math.sqrt(a) - Math.sqrt(b)) < 1e-12);
  }
  const conv = randomTensor([4, 2, 3, 3], testRng(2));
  const dc = filterNormalisedDirection(conv, 0, 'c');
  for (let f = 0; f < 4; f++) {
    const slice = (t: Tensor) => Math.hypot(...t.data.slice(f * 18, (f + 1) * 18));
    assert.ok(Math.abs(slice(dc) - slice(conv)) < 1e-12);
  }
  assert.ok(filterNormalisedDirection(randomTensor([7], testRng(3)), 0, 'b').data.every((v) => v === 0));
});

test('the landscape is centred on the current loss and leaves the parameters untouched', async () => {
  const s = analyzeSession(twoLayer);
  const loss = s.analysis.nodes.find((n) => n.name === 'loss')?.value?.[0] as number;
  const W1 = [...(s.execution!.values[s.graph!.named.get('W1')!] as Tensor).data];
  const r = await lossLandscape(s, { grid: 41, span: 1 }, control());
  assert.ok(typeof r === 'object');
  assert.equal(r.losses.length, 41);
  assert.equal(r.losses[0].length, 41);
  assert.ok(Math.abs(r.center - loss) < 1e-12);
  assert.deepEqual(r.params, ['W1', 'W2']);
  assert.ok(r.losses.flat().every((v) => Number.isFinite(v)));
  assert.ok(Math.max(...r.losses.flat()) > r.center, 'the loss changes across the slice');
  assert.deepEqual([...(s.execution!.values[s.graph!.named.get('W1')!] as Tensor).data], W1);
});

test('the landscape reports progress and can be cancelled', async () => {
  const s = analyzeSession(twoLayer);
  let calls = 0;
  const r = await lossLandscape(s, { grid: 21, span: 1 }, { progress: () => calls++, cancelled: () => calls >= 3 });
  assert.equal(r, 'cancelled');
  assert.equal(calls, 3);
});

test('SGD lowers the loss of the two-layer net; its figures are recorded per step', async () => {
  const s = analyzeSession(twoLayer);
  const out = await train(s, { steps: 100, lr: 0.1, momentum: 0.9 }, control());
  assert.ok(typeof out === 'object');
  const { result, params } = out;
  assert.equal(result.losses.length, 100);
  assert.ok(result.losses[99] < result.losses[0] * 0.5, `${result.losses[0]} → ${result.losses[99]}`);
  assert.deepEqual(Object.keys(result.gradNorms), ['W1', 'b1', 'W2', 'b2']);
  assert.ok(result.updateRatios.W1.every((r) => r > 0));
  // the trained parameters re-run through the analysis give the last loss (one step further)
  const after = analyzeSession(twoLayer, { paramValues: params });
  const loss = after.analysis.nodes.find((n) => n.name === 'loss')?.value?.[0] as number;
  assert.ok(loss < result.losses[99] + 1e-9);
  assert.ok(after.analysis.gradchecks.every((c) => c.verdict === 'pass' || c.verdict === 'ok-if-kinked'));
  // the session itself keeps the initial values
  const again = await train(s, { steps: 1, lr: 0.1, momentum: 0 }, control());
  assert.ok(typeof again === 'object' && Math.abs(again.result.losses[0] - result.losses[0]) < 1e-12);
});

test('training reports a diverging learning rate instead of producing NaN', async () => {
  const s = analyzeSession(twoLayer);
  const out = await train(s, { steps: 50, lr: 1e6, momentum: 0.9 }, control());
  assert.equal(typeof out, 'string');
  assert.match(out as string, /lower the learning rate/);
});
