// The status bar's throttle: the first call runs at once, a burst runs its last call at the end of
// the interval, a cancelled call never runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Throttle } from '../../src/extension/throttle';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('throttle: the first call at once, then at most one per interval with the latest arguments', async () => {
  const runs: number[] = [];
  const t = new Throttle(80, (n: number) => runs.push(n));
  t.call(1);
  assert.deepEqual(runs, [1], 'the first call of a quiet period runs at once');
  for (let i = 2; i <= 10; i++) t.call(i);
  assert.deepEqual(runs, [1], 'calls within the interval wait');
  await sleep(150);
  assert.deepEqual(runs, [1, 10], 'only the latest of them ran, once');
  await sleep(100);
  t.call(11);
  assert.deepEqual(runs, [1, 10, 11], 'a quiet interval later: at once again');
  t.call(12);
  t.cancel();
  await sleep(150);
  assert.deepEqual(runs, [1, 10, 11], 'a cancelled call never runs');
});
