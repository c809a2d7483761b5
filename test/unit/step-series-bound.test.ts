// The per-step norms of a recurrent op (its records and the graph view's series) are bounded: a
// 2,000,000-step rnn (test/hostile/rnn-long.grad) shipped 270 MB of JSON to the editor with every
// analysis and blocked the extension host's main thread for seconds.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { analyze } from '../../src/core/analyze';
import { CORE_DEFAULTS } from '../../src/core/defaults';

const rnnOf = (steps: number) => `seed 1
dims T = ${steps}, N = 1, D = 1, H = 1
input x: [T, N, D] ~ randn
param h0: [N, H] = 0
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] = 0
loss = sum(rnn(x, h0, Wx, Wh, b))
`;

function stepSeries(steps: number): { longest: number; json: number } {
  // The editor's options (settings.ts: analyzeOptions).
  const a = analyze(rnnOf(steps), { gradcheck: false, maxValuesPerNode: CORE_DEFAULTS.maxValuesPerNode, maxValuesPerAnalysis: CORE_DEFAULTS.editorValuesPerAnalysis });
  let longest = 0;
  for (const n of a.nodes) for (const v of Object.values(n.records ?? {})) longest = Math.max(longest, v.length);
  for (const n of a.graphView?.nodes ?? []) {
    for (const v of Object.values(n.steps ?? {})) if (Array.isArray(v)) longest = Math.max(longest, v.length);
  }
  return { longest, json: JSON.stringify(a).length };
}

test('a short sequence carries its per-step norms', () => {
  assert.equal(stepSeries(50).longest, 50);
});

test('a sequence past the cap carries no per-step series, and its analysis stays small', () => {
  const steps = CORE_DEFAULTS.maxStepSeries + 1;
  const { longest, json } = stepSeries(steps);
  assert.ok(longest <= CORE_DEFAULTS.maxStepSeries, `a series of ${longest} steps`);
  assert.ok(json < 1_000_000, `the analysis is ${json} characters of JSON`);
});
