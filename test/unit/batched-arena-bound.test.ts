// The batched gradient checks' working memory stays inside what the plan counts for it
// (BATCHED_CHECK_ELEMENTS). On the 30-layer net one evaluation took 18.4 million float64s
// (147 MB) where the plan counted 8 million: each matrix product reserved room for every changed
// entry's whole row instead of for the rows the perturbations touch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { arena } from '../../src/core/checks/batched/arena';
import { BATCHED_CHECK_ELEMENTS } from '../../src/core/pipeline/plan';
import { deepNetText } from '../fixtures/deepNet';

test('the batched checks of a 30-layer net keep their arena within the plan', () => {
  arena.highWater = 0;
  const a = analyze(deepNetText(30), {});
  assert.ok(a.gradchecks.length > 30, `the checks ran: ${a.gradchecks.length}`);
  assert.ok(arena.highWater > 0, 'the batched path was taken');
  assert.ok(arena.highWater <= BATCHED_CHECK_ELEMENTS, `one evaluation held ${arena.highWater} float64s; the plan counts ${BATCHED_CHECK_ELEMENTS}`);
});
