// The thresholds the checks ran with decide what the hover, the sidebar and the dashboard mark as
// off (src/core/checks/thresholds.ts): the same rule as the core's `failing` count, for any thresholds.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { entryIsOff, isThresholds, thresholdBands } from '../../src/core/checks/thresholds';
import { DEFAULT_THRESHOLDS, type GradCheckThresholds } from '../../src/core/defaults';
import { parseToWebview } from '../../webview/messages';

const examples = join(__dirname, '..', '..', 'examples');
const files = [...readdirSync(examples).map((f) => join(examples, f)), ...readdirSync(join(examples, 'broken')).map((f) => join(examples, 'broken', f))].filter((f) => f.endsWith('.grad'));

test('entryIsOff counts exactly the entries the core counts in `failing`, under default and custom thresholds', () => {
  const custom: GradCheckThresholds[] = [DEFAULT_THRESHOLDS, { fail: 0.5, warn: 1e-2, kinked: 1e-3 }, { fail: 1e-6, warn: 1e-9, kinked: 1e-12 }];
  let compared = 0;
  for (const f of files) {
    for (const thresholds of custom) {
      const a = analyze(readFileSync(f, 'utf8'), { gradcheck: { thresholds, worstCount: Number.MAX_SAFE_INTEGER } });
      for (const c of a.gradchecks) {
        if (c.worst.length !== c.checked) continue;
        assert.equal(c.worst.filter((e) => entryIsOff(e, thresholds)).length, c.failing, `${f} ${c.target} ${JSON.stringify(thresholds)}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 50, `compared ${compared} checks`);
});

test('thresholdBands: pass, ok if kinked, suspicious, wrong, from the thresholds as set', () => {
  assert.deepEqual(thresholdBands(DEFAULT_THRESHOLDS, 1e-16, 10), [
    { from: 1e-16, to: 1e-7, verdict: 'pass', label: 'pass < 1e-7' },
    { from: 1e-7, to: 1e-4, verdict: 'ok-if-kinked', label: 'ok if kinked' },
    { from: 1e-4, to: 1e-2, verdict: 'warn', label: 'suspicious' },
    { from: 1e-2, to: 10, verdict: 'fail', label: 'wrong > 0.01' },
  ]);
  const loose = thresholdBands({ fail: 0.5, warn: 1e-3, kinked: 1e-5 }, 1e-16, 10);
  assert.deepEqual(
    loose.map((b) => [b.from, b.to]),
    [
      [1e-16, 1e-5],
      [1e-5, 1e-3],
      [1e-3, 0.5],
      [0.5, 10],
    ],
  );
  // Empty bands (kinked = warn, a threshold of 0) are left out.
  assert.deepEqual(
    thresholdBands({ fail: 1e-2, warn: 1e-4, kinked: 1e-4 }, 1e-16, 10).map((b) => b.verdict),
    ['pass', 'warn', 'fail'],
  );
  assert.deepEqual(
    thresholdBands({ fail: 1e-2, warn: 0, kinked: 0 }, 1e-16, 10).map((b) => b.verdict),
    ['warn', 'fail'],
  );
});

test('the dashboard drops an update without well-formed thresholds', () => {
  const a = analyze(readFileSync(join(examples, 'circuit.grad'), 'utf8'));
  const state = { uri: 'file:///x.grad', version: 1, analysis: a };
  assert.ok(parseToWebview({ type: 'update', state: { ...state, thresholds: DEFAULT_THRESHOLDS } }));
  for (const bad of [undefined, null, {}, { fail: 1, warn: 1 }, { fail: '1', warn: 1, kinked: 1 }, { fail: NaN, warn: 1, kinked: 1 }]) {
    assert.equal(isThresholds(bad), false, JSON.stringify(bad));
    assert.equal(parseToWebview({ type: 'update', state: { ...state, thresholds: bad } }), null, JSON.stringify(bad));
  }
});
