// Incremental analysis: gradient checks are reused across analyses when what they read is
// unchanged (checks/checkCache.ts, engine/fingerprint.ts). The promise is twofold: the analysis
// with a cache is identical to the one without it, whatever happened before; and an edit re-runs
// only the checks it can change.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Analysis } from '../../src/core/model';
import { analyze, analyzeSession } from '../../src/core/analyze';
import { CheckCache } from '../../src/core/checks/checkCache';
import { Fingerprints } from '../../src/core/engine/fingerprint';

const examples = join(__dirname, '..', '..', 'examples');
const read = (name: string) => readFileSync(join(examples, name), 'utf8');

/** The analysis without its timings (the only part allowed to differ). */
function comparable(a: Analysis): Omit<Analysis, 'timings'> {
  const { timings: _t, ...rest } = a;
  return rest;
}

/** Analyses `text` with the cache and asserts it matches a fresh analysis; returns hits/misses of this run. */
function analyseBoth(text: string, cache: CheckCache, label: string): { hits: number; misses: number; analysis: Analysis } {
  const before = { hits: cache.hits, misses: cache.misses };
  const cached = analyze(text, { checkCache: cache });
  const fresh = analyze(text);
  assert.deepEqual(comparable(cached), comparable(fresh), `${label}: the cached analysis differs from a fresh one`);
  return { hits: cache.hits - before.hits, misses: cache.misses - before.misses, analysis: cached };
}

const files = readdirSync(examples).filter((f) => f.endsWith('.grad'));

test('every example: the analysis with a cold and with a warm cache equals the one without', () => {
  const cache = new CheckCache();
  for (const f of files) {
    const text = read(f);
    const cold = analyseBoth(text, cache, `${f} (cold)`);
    const warm = analyseBoth(text, cache, `${f} (warm)`);
    const checks = cold.analysis.gradchecks.length;
    if (checks > 0) assert.ok(cold.misses > 0, `${f}: the first analysis computes its checks`);
    assert.equal(warm.misses, 0, `${f}: nothing changed, so no check re-runs`);
    assert.equal(warm.hits, cold.misses, `${f}: every check computed the first time is reused`);
  }
});

test('a comment, blank lines or an expect line re-run no check; the ranges follow the text', () => {
  const text = read('conv-gate.grad');
  const cache = new CheckCache();
  const first = analyseBoth(text, cache, 'original');
  const edited = `# a note added at the top\n\n${text.replace('pooled = conv_relu_pool(x, w, b)', 'pooled = conv_relu_pool(x, w, b)   # the layer\nexpect shape pooled == [N, F, 4, 4]')}`;
  const second = analyseBoth(edited, cache, 'commented');
  assert.deepEqual(second.analysis.diagnostics.filter((d) => d.severity === 'error'), [], 'the edited file is valid');
  assert.equal(second.misses, 0);
  assert.ok(second.hits > 0);
  const line = (a: Analysis, target: string) => a.gradchecks.find((c) => c.target === target)?.range.start.line;
  assert.equal(line(second.analysis, 'conv_relu_pool.dw'), (line(first.analysis, 'conv_relu_pool.dw') as number) + 2, 'the gate check points at the moved `dw = …` line');
});

test('an edit after a gate keeps the gate check and re-runs the checks against the new loss', () => {
  const text = read('conv-gate.grad');
  const cache = new CheckCache();
  analyseBoth(text, cache, 'original');
  const edited = text.replace('loss   = softmax_ce(reshape(pooled, [N, 64]) @ W2, y)', 'loss   = softmax_ce(reshape(pooled, [N, 64]) @ W2, y) + 0.001 * l2(W2)');
  assert.notEqual(edited, text);
  const run = analyseBoth(edited, cache, 'new loss');
  const gateChecks = run.analysis.gradchecks.filter((c) => c.target.includes('.')).length;
  const tensorChecks = run.analysis.gradchecks.length - gateChecks;
  assert.ok(gateChecks > 0 && tensorChecks > 0);
  // One cached entry per gate call (all its inputs), reused; every param/input check re-run, plus the h sweep.
  assert.equal(run.hits, 1);
  assert.equal(run.misses, tensorChecks + 1);
});

test('an edit inside a backward block re-runs that gate check and the checks that use its gradient', () => {
  const text = read('conv-gate.grad');
  const cache = new CheckCache();
  analyseBoth(text, cache, 'original');
  const broken = text.replace('da = dr * (a > 0)', 'da = dr * (a > 1)');
  assert.notEqual(broken, text);
  const run = analyseBoth(broken, cache, 'broken backward');
  assert.equal(run.hits, 0, 'the analytic gradients changed, so nothing is reused');
  // And back: the original results come from the cache again.
  const back = analyseBoth(text, cache, 'restored');
  assert.equal(back.misses, 0);
});

test('a new seed, new dimension sizes or other check settings re-run every check', () => {
  const text = read('two-layer-net.grad');
  const cache = new CheckCache();
  analyze(text, { checkCache: cache });
  for (const [label, options] of [
    ['seed', { seed: 12345 }],
    ['dims', { dims: { N: 5 } }],
    ['h', { gradcheck: { h: 1e-6 } }],
  ] as const) {
    const before = cache.hits;
    const cached = analyze(text, { ...options, checkCache: cache });
    assert.equal(cache.hits, before, `${label}: no reuse`);
    assert.deepEqual(comparable(cached), comparable(analyze(text, options)), label);
  }
});

test('the cache is bounded: the least recently used results are evicted', () => {
  const cache = new CheckCache(3);
  for (let i = 0; i < 10; i++) cache.getOrCompute(`k${i}`, () => i);
  assert.equal(cache.size, 3);
  assert.equal(cache.getOrCompute('k9', () => -1), 9);
  assert.equal(cache.getOrCompute('k0', () => -1), -1, 'evicted, so computed again');
  cache.getOrCompute('k8', () => -1); // touch k8: k7 is now the oldest
  cache.getOrCompute('new', () => 0);
  assert.equal(cache.getOrCompute('k8', () => -1), 8);
  assert.equal(cache.getOrCompute('k7', () => -2), -2);
});

test('fingerprints: equal for the same computation written differently, different for one changed bit', () => {
  const fp = (text: string, name: string) => {
    const s = analyzeSession(text, { gradcheck: false });
    assert.ok(s.graph);
    const id = s.graph.named.get(name);
    assert.ok(id !== undefined, name);
    return new Fingerprints(s.graph).of(id);
  };
  const base = 'seed 3\ndims N = 4, D = 3\ninput x: [N, D] ~ randn\nparam w: [D] = [1, 2, 3]\ny = x @ w\nloss = sum(y * y)\n';
  const same = fp(base, 'loss');
  assert.equal(fp(`# comment\n${base.replace('y = x @ w', 'y   =   x@w   # product')}`, 'loss'), same, 'formatting and comments do not count');
  assert.notEqual(fp(base.replace('[1, 2, 3]', '[1, 2, 3.0000000000000004]'), 'loss'), same, 'one bit of a param');
  assert.notEqual(fp(base.replace('sum(y * y)', 'sum(y * y, axis=0)'), 'loss'), same, 'an attribute');
  assert.notEqual(fp(base.replace('y * y', 'y + y'), 'loss'), same, 'an operation');
  assert.notEqual(fp(base.replace('seed 3', 'seed 4'), 'loss'), same, 'the random input');
  assert.equal(fp(base.replace('sum(y * y)', 'sum(y * y)\nz = loss * 2'), 'y'), fp(base, 'y'), 'statements after it do not count');
});

test('a deep chain of 20,000 nodes is fingerprinted without overflowing the stack', () => {
  const lines = ['param a = 0.5', 'b0 = a * 1'];
  for (let i = 1; i < 20_000; i++) lines.push(`b${i} = b${i - 1} + 1`);
  const s = analyzeSession(lines.join('\n'), { gradcheck: false, staticOnly: true });
  assert.ok(s.graph && s.graph.root !== null);
  assert.match(new Fingerprints(s.graph).of(s.graph.root), /^[0-9a-z]+\.[0-9a-z]+$/);
});
