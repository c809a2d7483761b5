// Cooperative cancellation (src/core/cancel.ts): a run whose callback says "stop" ends early with
// `analysis.cancelled`, never with an exception or an internal error; checks finished before the
// stop stay cached, and nothing else changes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Analysis } from '../../src/core/model';
import { analyze, analyzeSession } from '../../src/core/analyze';
import { AnalysisCancelled } from '../../src/core/cancel';
import { BatchedRegion } from '../../src/core/checks/batched';
import { downstreamOf } from '../../src/core/checks/gradcheck';
import { CheckCache } from '../../src/core/checks/checkCache';
import { checkGates } from '../../src/core/checks/gateChecks';
import { DEFAULT_GRADCHECK } from '../../src/core/checks/gradcheck';
import { bitsOf } from './helpers/bits';

const text = readFileSync(join(__dirname, '..', '..', 'examples', 'conv-gate.grad'), 'utf8');
const comparable = (a: Analysis) => ({ ...a, timings: null });

/** A callback that answers true from its `n`-th question on, and counts the questions. */
function stopAfter(n: number): { cancelled: () => boolean; asked: () => number } {
  let asked = 0;
  return { cancelled: () => ++asked >= n, asked: () => asked };
}

test('a callback that never stops changes nothing; it is asked many times during the checks', () => {
  const probe = stopAfter(Infinity);
  const a = analyze(text, { isCancelled: probe.cancelled });
  assert.equal(a.cancelled, undefined);
  assert.deepEqual(comparable(a), comparable(analyze(text)));
  assert.ok(probe.asked() > 100, `asked only ${probe.asked()} times`);
});

test('stopping at any point ends the run as cancelled, without an exception or an internal error', () => {
  const total = stopAfter(Infinity);
  analyze(text, { isCancelled: total.cancelled });
  for (const n of [1, 2, 10, Math.floor(total.asked() / 2), total.asked() - 1]) {
    const a = analyze(text, { isCancelled: stopAfter(n).cancelled });
    assert.equal(a.cancelled, true, `stopped at question ${n}`);
    assert.ok(!a.diagnostics.some((d) => d.code === 'internal-error'), `stopped at question ${n}: ${JSON.stringify(a.diagnostics)}`);
  }
});

test('checks finished before a stop are reused by the next run, whose result equals a fresh one', () => {
  const cache = new CheckCache();
  const total = stopAfter(Infinity);
  analyze(text, { isCancelled: total.cancelled });
  // Stopped at the last question (just before the h sweep): every check is done by then.
  const stopped = analyze(text, { checkCache: cache, isCancelled: stopAfter(total.asked()).cancelled });
  assert.equal(stopped.cancelled, true);
  assert.ok(cache.size > 0, 'the checks done before the stop were kept');
  const hitsBefore = cache.hits;
  const resumed = analyze(text, { checkCache: cache });
  assert.ok(cache.hits > hitsBefore, 'the next run reused them');
  assert.deepEqual(comparable(resumed), comparable(analyze(text)));
});

test('a batched evaluation asks between the ops of its region: a newer text does not wait for a whole batch', () => {
  const deep = 'dims N = 4, D = 8\ninput X: [N, D] ~ randn\nparam W: [D, D] ~ xavier\nh1 = relu(X @ W)\nh2 = relu(h1 @ W)\nh3 = tanh(h2 @ W)\nloss = sum(h3 * h3)\n';
  const s = analyzeSession(deep, { gradcheck: false });
  const graph = s.graph;
  const ex = s.execution;
  assert.ok(graph && ex && graph.root !== null);
  const target = graph.named.get('W') as number;
  const region = downstreamOf(graph, [target]);
  const batched = new BatchedRegion(graph, ex, target, region, graph.root);
  assert.ok(batched.applies());
  const base = ex.values[target];
  assert.ok(base);
  const perts = [0, 1, 2].flatMap((i) => [{ index: i, value: base.data[i] + 1e-5 }, { index: i, value: base.data[i] - 1e-5 }]);
  // Never cancelled: one question per op of the region that the perturbation reaches.
  const all = stopAfter(Infinity);
  batched.evaluate(base, perts, all.cancelled);
  assert.ok(all.asked() >= region.length - 1, `asked ${all.asked()} times over ${region.length} ops`);
  // Cancelled at the k-th question: it stops there, by the exception the run turns into `cancelled`.
  for (let k = 1; k <= all.asked(); k++) {
    const probe = stopAfter(k);
    assert.throws(() => batched.evaluate(base, perts, probe.cancelled), AnalysisCancelled);
    assert.equal(probe.asked(), k);
  }
});

test("a gate check stopped mid-way leaves the execution's values as they were: nothing perturbed stays installed", () => {
  const s = analyzeSession(text, { gradcheck: false });
  const graph = s.graph;
  const ex = s.execution;
  assert.ok(graph && ex && graph.gateCalls.length > 0, 'conv-gate.grad runs and calls gates');
  const bits = () => ex.values.map(bitsOf);
  const before = bits();
  const objects = [...ex.values];
  const total = stopAfter(Infinity);
  checkGates(graph, ex, s.analysis.seed, DEFAULT_GRADCHECK, { cancelled: total.cancelled });
  assert.ok(total.asked() > 4, `asked ${total.asked()} times`);
  for (const n of [2, Math.floor(total.asked() / 3), Math.floor(total.asked() / 2), total.asked() - 1]) {
    assert.throws(() => checkGates(graph, ex, s.analysis.seed, DEFAULT_GRADCHECK, { cancelled: stopAfter(n).cancelled }), AnalysisCancelled, `stopped at question ${n}`);
    assert.ok(ex.values.every((t, i) => t === objects[i]), `stopped at question ${n}: every value is the original tensor`);
    assert.deepEqual(bits(), before, `stopped at question ${n}: same bits`);
  }
});
